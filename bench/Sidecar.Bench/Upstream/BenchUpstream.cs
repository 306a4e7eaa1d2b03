using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Sidecar.Bench.Upstream;

/// <summary>
/// A fast OpenAI-compatible upstream on 127.0.0.1: <c>POST /v1/chat/completions</c> answers JSON, or
/// SSE when <c>stream</c> is true (content chunks, a finish chunk, a usage chunk with no choices,
/// <c>[DONE]</c>, as OpenAI does). Responses are pre-rendered bytes; the only per-request work is
/// finding <c>model</c> and <c>stream</c> in the body. Each streamed content chunk carries the
/// monotonic time it was written (<c>t&lt;Stopwatch ticks&gt; </c>), so the driver, on the same
/// machine and clock, can tell how long each chunk took to reach it.
/// </summary>
internal sealed class BenchUpstream : IAsyncDisposable
{
    public const string UnaryContent = "Hello from the bench upstream.";
    private const string CompletionId = "chatcmpl-bench";
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _unaryBodies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StreamTemplate> _streamTemplates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _arrivals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _aborts = new(StringComparer.Ordinal);
    private long _requests;

    private BenchUpstream(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    public static async Task<BenchUpstream> StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxConcurrentConnections = null;
            k.Listen(IPAddress.Loopback, port);
        });
        var app = builder.Build();
        var upstream = new BenchUpstream(app);
        app.MapPost("/v1/chat/completions", upstream.CompleteAsync);
        app.MapGet("/bench/arrived/{id}", (string id, int timeoutMs) => upstream.WaitAsync(upstream._arrivals, id, timeoutMs));
        app.MapGet("/bench/aborted/{id}", (string id, int timeoutMs) => upstream.WaitAsync(upstream._aborts, id, timeoutMs));
        app.MapGet("/bench/requests", () => Results.Text(Interlocked.Read(ref upstream._requests).ToString()));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        upstream.Port = new Uri(address).Port;
        return upstream;
    }

    private async Task CompleteAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var (model, stream) = await ReadModelAsync(context.Request.BodyReader, context.RequestAborted);
        if (model is null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var spec = UpstreamSpec.Parse(model);
        var ct = context.RequestAborted;
        if (spec.Id is { } id)
        {
            // Registered before anything can fail, so an abort is seen however early it comes.
            ct.Register(static state => ((TaskCompletionSource<long>)state!).TrySetResult(Stopwatch.GetTimestamp()), Slot(_aborts, id));
            Slot(_arrivals, id).TrySetResult(Stopwatch.GetTimestamp());
        }

        try
        {
            if (spec.DelayMs > 0)
            {
                await Task.Delay(spec.DelayMs, ct);
            }

            if (!stream)
            {
                if (spec.Hang)
                {
                    await Task.Delay(HangLimit, ct);
                    return;
                }

                var body = _unaryBodies.TryGetValue(model, out var cached) ? cached : UnaryBody(model, spec);
                context.Response.ContentType = "application/json";
                context.Response.ContentLength = body.Length;
                await context.Response.Body.WriteAsync(body, ct);
                return;
            }

            await StreamAsync(context, model, spec, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; the abort time is already recorded.
        }
        catch (IOException)
        {
        }
    }

    private async Task StreamAsync(HttpContext context, string model, UpstreamSpec spec, CancellationToken ct)
    {
        var template = _streamTemplates.TryGetValue(model, out var cached) ? cached : StreamTemplateFor(model, spec);
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var writer = context.Response.BodyWriter;
        writer.Write(template.Role);
        for (var i = 0; i < spec.Chunks; i++)
        {
            if (i > 0 && spec.IntervalMs > 0)
            {
                await Task.Delay(spec.IntervalMs, ct);
            }

            WriteContentChunk(writer, template);
            var flushed = await writer.FlushAsync(ct);
            if (flushed.IsCanceled || flushed.IsCompleted)
            {
                return;
            }

            if (spec.Hang)
            {
                await Task.Delay(HangLimit, ct);
                return;
            }
        }

        writer.Write(template.Tail);
        await writer.FlushAsync(ct);
    }

    private static void WriteContentChunk(PipeWriter writer, StreamTemplate template)
    {
        var span = writer.GetSpan(template.ContentPrefix.Length + template.ContentSuffix.Length + 24);
        template.ContentPrefix.CopyTo(span);
        var at = template.ContentPrefix.Length;
        span[at++] = (byte)'t';
        Utf8Formatter.TryFormat(Stopwatch.GetTimestamp(), span[at..], out var written);
        at += written;
        span[at++] = (byte)' ';
        template.ContentSuffix.CopyTo(span[at..]);
        writer.Advance(at + template.ContentSuffix.Length);
    }

    /// <summary>Finds the top-level <c>model</c> and <c>stream</c> properties of the request body.</summary>
    private static async Task<(string? Model, bool Stream)> ReadModelAsync(PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var read = await reader.ReadAsync(ct);
            if (read.IsCompleted || read.IsCanceled)
            {
                var result = Scan(read.Buffer);
                reader.AdvanceTo(read.Buffer.End);
                return result;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private static (string? Model, bool Stream) Scan(ReadOnlySequence<byte> body)
    {
        var json = new Utf8JsonReader(body);
        string? model = null;
        var stream = false;
        try
        {
            while (json.Read())
            {
                if (json.TokenType == JsonTokenType.PropertyName && json.CurrentDepth == 1)
                {
                    if (json.ValueTextEquals("model"u8))
                    {
                        json.Read();
                        model = json.GetString();
                    }
                    else if (json.ValueTextEquals("stream"u8))
                    {
                        json.Read();
                        stream = json.TokenType == JsonTokenType.True;
                    }
                    else
                    {
                        json.Read();
                        json.TrySkip();
                    }
                }
            }
        }
        catch (JsonException)
        {
            return (null, false);
        }

        return (model, stream);
    }

    private byte[] UnaryBody(string model, UpstreamSpec spec)
    {
        var body = Encoding.UTF8.GetBytes(
            $$$"""{"id":"{{{CompletionId}}}","object":"chat.completion","created":1700000000,"model":"{{{model}}}","choices":[{"index":0,"message":{"role":"assistant","content":"{{{UnaryContent}}}"},"finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":24,"completion_tokens":6,"total_tokens":30}}""");
        if (spec.Id is null && _unaryBodies.Count < 1000)
        {
            _unaryBodies.TryAdd(model, body);
        }

        return body;
    }

    private StreamTemplate StreamTemplateFor(string model, UpstreamSpec spec)
    {
        var head = $$"""data: {"id":"{{CompletionId}}","object":"chat.completion.chunk","created":1700000000,"model":"{{model}}","choices":[""";
        var template = new StreamTemplate(
            Encoding.UTF8.GetBytes(head + """{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""" + "\n\n"),
            Encoding.UTF8.GetBytes(head + "{\"index\":0,\"delta\":{\"content\":\""),
            Encoding.UTF8.GetBytes("\"},\"finish_reason\":null}]}\n\n"),
            Encoding.UTF8.GetBytes(
                head + """{"index":0,"delta":{},"finish_reason":"stop"}]}""" + "\n\n" +
                head + $$$"""],"usage":{"prompt_tokens":24,"completion_tokens":{{{spec.Chunks}}},"total_tokens":{{{24 + spec.Chunks}}}}}""" + "\n\n" +
                "data: [DONE]\n\n"));
        if (spec.Id is null && _streamTemplates.Count < 1000)
        {
            _streamTemplates.TryAdd(model, template);
        }

        return template;
    }

    private async Task<IResult> WaitAsync(ConcurrentDictionary<string, TaskCompletionSource<long>> slots, string id, int timeoutMs)
    {
        var slot = Slot(slots, id);
        try
        {
            var at = await slot.Task.WaitAsync(TimeSpan.FromMilliseconds(Math.Clamp(timeoutMs, 1, 60_000)));
            slots.TryRemove(id, out _);
            return Results.Text(at.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (TimeoutException)
        {
            return Results.StatusCode(StatusCodes.Status408RequestTimeout);
        }
    }

    private static TaskCompletionSource<long> Slot(ConcurrentDictionary<string, TaskCompletionSource<long>> slots, string id) =>
        slots.GetOrAdd(id, static _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed record StreamTemplate(byte[] Role, byte[] ContentPrefix, byte[] ContentSuffix, byte[] Tail);
}
