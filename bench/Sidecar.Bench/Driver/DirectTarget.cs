using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using OpenAI;
using OpenAI.Chat;
using Sidecar.FakeUpstream;
using Sidecar.Testing;

namespace Sidecar.Bench.Driver;

/// <summary>
/// Calls an OpenAI-compatible endpoint with the OpenAI .NET SDK, configured as the daemon configures its
/// own clients (a pooled handler of our own, the SDK's retries off): the upstream directly, the baseline
/// every figure is set against, or (<see cref="OpenAIDoor"/>) the daemon's OpenAI-compatible door on its
/// Unix socket, as an existing OpenAI agent calls it.
/// </summary>
internal sealed class DirectTarget : ITarget, IDisposable
{
    private readonly HttpClient _http;
    private readonly OpenAIClient _client;
    private readonly ConcurrentDictionary<string, ChatClient> _chats = new(StringComparer.Ordinal);

    public DirectTarget(Uri endpoint, string apiKey, string name = "direct", string? socketPath = null)
    {
        var handler = socketPath is null ? new SocketsHttpHandler() : UnixSocketHttp.Handler(socketPath);
        handler.PooledConnectionLifetime = TimeSpan.FromMinutes(5);
        handler.AutomaticDecompression = System.Net.DecompressionMethods.None;
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client = new OpenAIClient(new ApiKeyCredential(apiKey), new OpenAIClientOptions
        {
            Endpoint = endpoint,
            Transport = new HttpClientPipelineTransport(_http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });
        Name = name;
    }

    /// <summary>The same SDK call sent to the daemon's <c>openai.sock</c> (HTTP/1.1), the key_ref as the API key.</summary>
    public static DirectTarget OpenAIDoor(string socketPath, string keyRef) =>
        new(new Uri("http://localhost/v1"), keyRef, BenchPaths.OpenAIHttp, socketPath);

    public string Name { get; }

    private ChatClient Chat(string model) =>
        BenchSpec.Parse(model).Id is null ? _chats.GetOrAdd(model, m => _client.GetChatClient(m)) : _client.GetChatClient(model);

    public async Task<UnarySample> UnaryAsync(string model, CancellationToken cancellationToken)
    {
        var chat = Chat(model);
        var messages = BenchRequests.SdkMessages();
        var options = BenchRequests.SdkOptions();
        var start = Ticks.Now;
        try
        {
            var completion = (await chat.CompleteChatAsync(messages, options, cancellationToken)).Value;
            var us = Ticks.MicrosSince(start);
            var text = completion.Content.Count > 0 ? completion.Content[0].Text : null;
            return text == BenchSpec.UnaryContent && completion.FinishReason == ChatFinishReason.Stop
                ? new UnarySample(us, null)
                : new UnarySample(us, $"unexpected answer '{text}' ({completion.FinishReason})");
        }
        catch (Exception ex) when (ex is ClientResultException or HttpRequestException or IOException)
        {
            return new UnarySample(Ticks.MicrosSince(start), $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    public async Task<StreamSample> StreamAsync(string model, int expectedChunks, CancellationToken cancellationToken)
    {
        var chat = Chat(model);
        var messages = BenchRequests.SdkMessages();
        var options = BenchRequests.SdkOptions();
        var relay = new List<double>(expectedChunks);
        var start = Ticks.Now;
        long first = 0, last = 0;
        var chunks = 0;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        try
        {
            await foreach (var update in chat.CompleteChatStreamingAsync(messages, options, cancellationToken))
            {
                var now = Ticks.Now;
                if (update.ContentUpdate.Count > 0 && update.ContentUpdate[0].Text is { Length: > 0 } text)
                {
                    first = chunks == 0 ? now : first;
                    last = now;
                    chunks++;
                    if (BenchRequests.TryParseStamp(text, out var written))
                    {
                        relay.Add(Ticks.ToMicros(now - written));
                    }
                }

                finish = update.FinishReason ?? finish;
                usage = update.Usage ?? usage;
            }
        }
        catch (Exception ex) when (ex is ClientResultException or HttpRequestException or IOException)
        {
            return StreamSample.Failed($"{ex.GetType().Name}: {ex.Message}");
        }

        return StreamResults.Check(start, first, last, relay, chunks, expectedChunks, finish == ChatFinishReason.Stop && usage is not null);
    }

    public async Task<long> StartAndCancelAsync(string model, bool stream, Func<Task> whenUpstreamHasIt, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var chat = Chat(model);
        long at;
        if (stream)
        {
            var updates = chat.CompleteChatStreamingAsync(BenchRequests.SdkMessages(), BenchRequests.SdkOptions(), cancel.Token);
            await using var enumerator = updates.GetAsyncEnumerator(cancel.Token);
            if (!await enumerator.MoveNextAsync())
            {
                throw new InvalidOperationException("the hanging stream ended before its first update");
            }

            // The role update and the first content chunk come together; the next read waits, as
            // the daemon's read waits when its caller cancels.
            var pending = SkipUntilBlocked(enumerator);
            at = Ticks.Now;
            cancel.Cancel();
            await Swallow(pending);
        }
        else
        {
            var call = chat.CompleteChatAsync(BenchRequests.SdkMessages(), BenchRequests.SdkOptions(), cancel.Token);
            await whenUpstreamHasIt();
            at = Ticks.Now;
            cancel.Cancel();
            await Swallow(call);
        }

        return at;
    }

    private static async Task SkipUntilBlocked(IAsyncEnumerator<StreamingChatCompletionUpdate> enumerator)
    {
        while (await enumerator.MoveNextAsync())
        {
        }
    }

    private static async Task Swallow(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose() => _http.Dispose();
}
