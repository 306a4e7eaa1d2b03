using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Sidecar.Api;
using Sidecar.Configuration;
using Sidecar.Errors;
using Sidecar.V1;

namespace Sidecar.OpenAIHttp;

/// <summary>
/// <c>POST /v1/chat/completions</c>: the OpenAI-compatible door. It reads the OpenAI request into our
/// contract, runs it through the one <see cref="CompletionPipeline"/> (validation, key, authorization,
/// limits, resilience, provider; the log line, span and metrics), and writes the answer as a
/// <c>chat.completion</c> or as server-sent <c>chat.completion.chunk</c> events ending with
/// <c>data: [DONE]</c>. A stream that fails after it started ends with an SSE <c>error</c> event instead.
/// </summary>
internal sealed class ChatCompletionsEndpoint(CompletionPipeline pipeline, LiveOptions options, TimeProvider time)
{
    public const string Rpc = "openai.chat.completions";

    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private static readonly byte[] ErrorEventPrefix = "event: error\ndata: "u8.ToArray();

    public async Task HandleAsync(HttpContext context)
    {
        var keyRef = OpenAIHttpRequest.BearerToken(context.Request);
        if (keyRef is null)
        {
            await OpenAIHttpResponse.WriteMissingKeyRefAsync(context).ConfigureAwait(false);
            return;
        }

        OpenAIChatRequest chat;
        TimeSpan? timeout;
        try
        {
            timeout = OpenAIHttpRequest.Timeout(context.Request);
            var limits = options.Current.Limits;
            var body = await OpenAIHttpRequest.ReadBodyAsync(context, limits.MaxRequestBytes, context.RequestAborted).ConfigureAwait(false);
            chat = ChatCompletionRequestReader.Read(body, keyRef, limits.MaxJsonDepth);
        }
        catch (SidecarException invalid)
        {
            await OpenAIHttpResponse.WriteErrorAsync(context, invalid).ConfigureAwait(false);
            return;
        }
        catch (RequestTooLargeException tooLarge)
        {
            await OpenAIHttpResponse.WriteErrorAsync(context, new OpenAIErrorShape(413, "invalid_request_error", "request_too_large"), tooLarge.Message, null, ErrorStatus.NameOf(ErrorReason.InvalidRequest), null).ConfigureAwait(false);
            return;
        }

        // The caller's deadline is enforced here (gRPC does it for its own door). The timer's own token
        // goes to the pipeline too, so a cancellation at the deadline is reported as DEADLINE_EXCEEDED
        // even when the clock, read a moment before the timer was armed, says the deadline is not quite there.
        using var timer = timeout is { } after ? new CancellationTokenSource(after, time) : null;
        using var deadline = timer is null ? null : CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, timer.Token);
        var door = new CallDoor(
            Rpc,
            PeerCredentials.Of(context),
            timeout is { } t ? time.GetUtcNow().UtcDateTime + t : DateTime.MaxValue,
            deadline?.Token ?? context.RequestAborted,
            timer?.Token ?? default)
        {
            // A replayed stream learns it before its first chunk, while headers can still be set.
            CacheHit = () => context.Response.Headers[OpenAIHttpResponse.CacheHeader] = "hit",
        };
        var created = time.GetUtcNow().ToUnixTimeSeconds();

        if (chat.Stream)
        {
            await StreamAsync(context, chat, door, created).ConfigureAwait(false);
            return;
        }

        CompleteResponse response;
        try
        {
            response = await pipeline.CompleteAsync(chat.Request, door).ConfigureAwait(false);
        }
        catch (CallFailedException failed)
        {
            await OpenAIHttpResponse.WriteErrorAsync(context, failed).ConfigureAwait(false);
            return;
        }

        if (response.ServedBy is { Cached: true })
        {
            door.CacheHit?.Invoke();
        }

        ServedByHeaders.Write(context.Response, response.ServedBy);
        await OpenAIHttpResponse.WriteOkAsync(context, (Response: response, Created: created), static (json, answer) => ChatCompletionJson.WriteCompletion(json, answer.Response, answer.Created)).ConfigureAwait(false);
    }

    private async Task StreamAsync(HttpContext context, OpenAIChatRequest chat, CallDoor door, long created)
    {
        var response = context.Response;
        var started = false;
        var id = string.Empty;
        var model = string.Empty;
        ServedBy? served = null;
        using var json = new Utf8JsonWriter(response.BodyWriter, OpenAIHttpResponse.JsonOptions);

        async Task WriteChunk(CompleteChunk chunk, CancellationToken cancellationToken)
        {
            if (!started)
            {
                // Headers go out with the first chunk, so a call refused before it (unknown key_ref, a
                // limit, the upstream's 429) still gets its own HTTP status.
                started = true;
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = "text/event-stream";
                response.Headers.CacheControl = "no-cache";
                ServedByHeaders.Write(response, served);
                context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
                id = chunk.Id;
                model = chunk.Model;
                WriteEvent(response, json, w => ChatCompletionJson.WriteChunk(w, chunk, created, first: true, chat.IncludeUsage));
            }
            else
            {
                WriteEvent(response, json, w => ChatCompletionJson.WriteChunk(w, chunk, created, first: false, chat.IncludeUsage));
            }

            if (chunk.FinishReason != FinishReason.Unspecified && chat.IncludeUsage && chunk.Usage is { } usage)
            {
                WriteEvent(response, json, w => ChatCompletionJson.WriteUsageChunk(w, id, model, created, usage));
            }

            await response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await pipeline.StreamAsync(chat.Request, door, WriteChunk, committed: s => served = s).ConfigureAwait(false);
        }
        catch (CallFailedException failed)
        {
            if (!started)
            {
                await OpenAIHttpResponse.WriteErrorAsync(context, failed).ConfigureAwait(false);
                return;
            }

            if (failed.Code == Grpc.Core.StatusCode.Cancelled)
            {
                // The caller is gone: nobody reads an error event.
                return;
            }

            // Past the headers the status is spent: the error travels as an SSE event the SDKs raise,
            // and [DONE] never follows, so a broken stream is never taken for a complete one.
            response.BodyWriter.Write(ErrorEventPrefix);
            json.Reset(response.BodyWriter);
            OpenAIHttpResponse.WriteErrorBody(json, failed);
            json.Flush();
            response.BodyWriter.Write(EventEnd);
            await FlushQuietlyAsync(response).ConfigureAwait(false);
            return;
        }

        response.BodyWriter.Write(Done);
        await FlushQuietlyAsync(response).ConfigureAwait(false);
    }

    private static void WriteEvent(HttpResponse response, Utf8JsonWriter json, Action<Utf8JsonWriter> write)
    {
        response.BodyWriter.Write(DataPrefix);
        json.Reset(response.BodyWriter);
        write(json);
        json.Flush();
        response.BodyWriter.Write(EventEnd);
    }

    private static async Task FlushQuietlyAsync(HttpResponse response)
    {
        try
        {
            await response.BodyWriter.FlushAsync(response.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The caller left while the end of the stream was on its way.
        }
    }
}
