using Grpc.Core;
using Grpc.Net.Client;
using Sidecar.FakeUpstream;
using Sidecar.Testing;
using Sidecar.V1;

namespace Sidecar.Bench.Driver;

/// <summary>Calls the daemon over its Unix socket with Grpc.Net.Client, as a C# agent would.</summary>
internal sealed class SidecarTarget : ITarget, IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Completions.CompletionsClient _client;
    private readonly string _keyRef;
    private readonly bool _echo;

    public SidecarTarget(GrpcChannel channel, string keyRef, bool echo = false)
    {
        _channel = channel;
        _client = new Completions.CompletionsClient(channel);
        _keyRef = keyRef;
        _echo = echo;
        Name = "sidecar";
    }

    public string Name { get; }

    /// <summary>The C# client's connection handling: past 100 concurrent streams (Kestrel's per-connection limit)
    /// another connection opens rather than calls queueing in the client.</summary>
    public static GrpcChannel Channel(string socketPath) => UnixSocketHttp.Channel(socketPath);

    /// <summary>The same channel with another key_ref (the churn phase uses a new one per call).</summary>
    public Task<UnarySample> UnaryAsync(string model, CancellationToken cancellationToken) => UnaryAsync(_keyRef, model, cancellationToken);

    public async Task<UnarySample> UnaryAsync(string keyRef, string model, CancellationToken cancellationToken)
    {
        var request = BenchRequests.Proto(keyRef, model);
        var start = Ticks.Now;
        try
        {
            var response = await _client.CompleteAsync(request, cancellationToken: cancellationToken);
            var us = Ticks.MicrosSince(start);
            var expected = _echo ? BenchRequests.User : BenchSpec.UnaryContent;
            return response.Message.Content == expected && response.FinishReason == FinishReason.Stop
                ? new UnarySample(us, null)
                : new UnarySample(us, $"unexpected answer '{response.Message.Content}' ({response.FinishReason})");
        }
        catch (RpcException ex)
        {
            return new UnarySample(Ticks.MicrosSince(start), $"{ex.StatusCode}: {ex.Status.Detail}");
        }
    }

    public async Task<StreamSample> StreamAsync(string model, int expectedChunks, CancellationToken cancellationToken)
    {
        var request = BenchRequests.Proto(_keyRef, model);
        var relay = new List<double>(expectedChunks);
        var start = Ticks.Now;
        long first = 0, last = 0;
        var chunks = 0;
        var finished = false;
        try
        {
            using var call = _client.StreamComplete(request, cancellationToken: cancellationToken);
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                var now = Ticks.Now;
                var chunk = call.ResponseStream.Current;
                if (chunk.ContentDelta.Length > 0)
                {
                    first = chunks == 0 ? now : first;
                    last = now;
                    chunks++;
                    if (BenchRequests.TryParseStamp(chunk.ContentDelta, out var written))
                    {
                        relay.Add(Ticks.ToMicros(now - written));
                    }
                }

                finished |= chunk.FinishReason == FinishReason.Stop && chunk.Usage is not null;
            }
        }
        catch (RpcException ex)
        {
            return StreamSample.Failed($"{ex.StatusCode}: {ex.Status.Detail}");
        }

        return StreamResults.Check(start, first, last, relay, chunks, expectedChunks, finished);
    }

    public async Task<long> StartAndCancelAsync(string model, bool stream, Func<Task> whenUpstreamHasIt, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var request = BenchRequests.Proto(_keyRef, model);
        long at;
        if (stream)
        {
            using var call = _client.StreamComplete(request, cancellationToken: cancel.Token);
            if (!await call.ResponseStream.MoveNext(cancellationToken))
            {
                throw new InvalidOperationException("the hanging stream ended before its first chunk");
            }

            var pending = call.ResponseStream.MoveNext(cancel.Token);
            at = Ticks.Now;
            cancel.Cancel();
            await Swallow(pending);
        }
        else
        {
            using var call = _client.CompleteAsync(request, cancellationToken: cancel.Token);
            await whenUpstreamHasIt();
            at = Ticks.Now;
            cancel.Cancel();
            await Swallow(call.ResponseAsync);
        }

        return at;
    }

    private static async Task Swallow(Task task)
    {
        try
        {
            await task;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
        {
        }
    }

    public void Dispose() => _channel.Dispose();
}
