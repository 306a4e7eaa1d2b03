using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;

namespace Sidecar.FakeUpstream;

/// <summary>
/// The fake's fast path for the load bench, for <c>bench-*</c> models (<see cref="BenchSpec"/>): answers JSON, or
/// SSE when <c>stream</c> is true (content chunks, a finish chunk, a usage chunk with no choices,
/// <c>[DONE]</c>, as OpenAI does). Responses are pre-rendered bytes; the only per-request work is
/// finding <c>model</c> and <c>stream</c> in the body, and these requests are neither parsed further nor
/// recorded, so a load run costs the fake little and grows nothing. Each streamed content chunk carries the
/// monotonic time it was written (<c>t&lt;Stopwatch ticks&gt; </c>), so the driver, on the same
/// machine and clock, can tell how long each chunk took to reach it. Control endpoints:
/// <c>GET /bench/arrived/{id}</c> and <c>/bench/aborted/{id}</c> (long poll: when a request with that id
/// arrived, or its client went away) and <c>/bench/requests</c> (how many bench requests were served).
/// </summary>
internal sealed class BenchScenario
{
    private const string CompletionId = "chatcmpl-bench";
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, byte[]> _unaryBodies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StreamTemplate> _streamTemplates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _arrivals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _aborts = new(StringComparer.Ordinal);
    private long _requests;

    public void MapControlEndpoints(WebApplication app)
    {
        app.MapGet("/bench/arrived/{id}", (string id, int timeoutMs) => WaitAsync(_arrivals, id, timeoutMs));
        app.MapGet("/bench/aborted/{id}", (string id, int timeoutMs) => WaitAsync(_aborts, id, timeoutMs));
        app.MapGet("/bench/requests", () => Results.Text(Interlocked.Read(ref _requests).ToString()));
    }

    public async Task RunAsync(HttpContext context, string model, bool stream)
    {
        Interlocked.Increment(ref _requests);
        var spec = BenchSpec.Parse(model);
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

    private async Task StreamAsync(HttpContext context, string model, BenchSpec spec, CancellationToken ct)
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

    /// <summary>The top-level <c>model</c> and <c>stream</c> properties of a request body (no model: not JSON, or none).</summary>
    public static (string? Model, bool Stream) Scan(ReadOnlySequence<byte> body)
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

    private byte[] UnaryBody(string model, BenchSpec spec)
    {
        var body = Encoding.UTF8.GetBytes(
            $$$"""{"id":"{{{CompletionId}}}","object":"chat.completion","created":1700000000,"model":"{{{model}}}","choices":[{"index":0,"message":{"role":"assistant","content":"{{{BenchSpec.UnaryContent}}}"},"finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":24,"completion_tokens":6,"total_tokens":30}}""");
        if (spec.Id is null && _unaryBodies.Count < 1000)
        {
            _unaryBodies.TryAdd(model, body);
        }

        return body;
    }

    private StreamTemplate StreamTemplateFor(string model, BenchSpec spec)
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

    private sealed record StreamTemplate(byte[] Role, byte[] ContentPrefix, byte[] ContentSuffix, byte[] Tail);
}
