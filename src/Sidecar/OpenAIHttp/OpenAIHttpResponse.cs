using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.Core;
using Sidecar.Api;
using Sidecar.Errors;
using Sidecar.V1;

namespace Sidecar.OpenAIHttp;

/// <summary>
/// Writes errors in OpenAI's shape, <c>{"error": {"message", "type", "param", "code"}}</c>, with our reason
/// name in <c>X-Sidecar-Reason</c> and, where waiting helps, <c>Retry-After</c> and <c>retry-after-ms</c>
/// (the headers the official SDKs read).
/// </summary>
internal static partial class OpenAIHttpResponse
{
    public const string ReasonHeader = "X-Sidecar-Reason";

    /// <summary>Set to <c>hit</c> on an answer served from the response cache (no upstream was called).</summary>
    public const string CacheHeader = "X-Sidecar-Cache";

    /// <summary>
    /// Answers are JSON read by SDKs, never embedded in HTML: escaping quotes and angle brackets as
    /// <c>\u0027</c> would only make them larger and harder to read.
    /// </summary>
    public static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>No bearer token: the key_ref travels where an OpenAI SDK sends its API key.</summary>
    public static Task WriteMissingKeyRefAsync(HttpContext context) => WriteErrorAsync(
        context,
        OpenAIErrorShape.MissingKeyRef,
        "No key_ref: send it as the API key (Authorization: Bearer <key_ref>).",
        param: null,
        reason: ErrorStatus.NameOf(ErrorReason.InvalidRequest),
        retryAfter: null);

    /// <summary>An error raised before the pipeline ran (the body or a header was malformed).</summary>
    public static Task WriteErrorAsync(HttpContext context, SidecarException error)
    {
        var reason = ErrorStatus.Of(error.Error).Reason;
        return WriteErrorAsync(context, OpenAIErrorShape.Of(error.Error), error.Message, Param(error), reason, error.RetryAfter);
    }

    public static Task WriteErrorAsync(HttpContext context, CallFailedException failed)
    {
        if (failed.Error is { } known)
        {
            return WriteErrorAsync(context, known);
        }

        return WriteErrorAsync(context, ShapeOf(failed), failed.Message, param: null, Reason(failed), retryAfter: null);
    }

    /// <summary>A 200 whose JSON body <paramref name="write"/> writes from <paramref name="value"/>.</summary>
    public static async Task WriteOkAsync<T>(HttpContext context, T value, Action<Utf8JsonWriter, T> write)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter, JsonOptions))
        {
            write(json, value);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    public static async Task WriteErrorAsync(HttpContext context, OpenAIErrorShape shape, string message, string? param, string reason, TimeSpan? retryAfter)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = shape.Status;
        response.ContentType = "application/json";
        if (reason.Length > 0)
        {
            response.Headers[ReasonHeader] = reason;
        }

        if (retryAfter is { } delay)
        {
            response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            response.Headers["retry-after-ms"] = ((long)delay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        }

        using (var json = new Utf8JsonWriter(response.BodyWriter, OpenAIHttpResponse.JsonOptions))
        {
            WriteBody(json, message, shape.Type, param, shape.Code);
        }

        try
        {
            await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The caller left; the error had nobody to reach.
        }
    }

    /// <summary>The body of an SSE <c>error</c> event, for a stream that fails after it started.</summary>
    public static void WriteErrorBody(Utf8JsonWriter json, CallFailedException failed)
    {
        if (failed.Error is { } known)
        {
            var shape = OpenAIErrorShape.Of(known.Error);
            WriteBody(json, known.Message, shape.Type, Param(known), shape.Code);
            return;
        }

        var other = ShapeOf(failed);
        WriteBody(json, failed.Message, other.Type, null, other.Code);
    }

    private static void WriteBody(Utf8JsonWriter json, string message, string type, string? param, string code)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", message);
        json.WriteString("type", type);
        if (param is null)
        {
            json.WriteNull("param");
        }
        else
        {
            json.WriteString("param", param);
        }

        json.WriteString("code", code);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static OpenAIErrorShape ShapeOf(CallFailedException failed) => failed.Code switch
    {
        StatusCode.DeadlineExceeded => OpenAIErrorShape.DeadlineExceeded,
        _ => OpenAIErrorShape.Internal,
    };

    private static string Reason(CallFailedException failed) => failed.Code switch
    {
        StatusCode.DeadlineExceeded => CodeNames.Of(StatusCode.DeadlineExceeded),
        _ => failed.Reason,
    };

    /// <summary>
    /// The first bad field, named as the OpenAI request names it: the validator speaks our contract's
    /// field names (<c>tools[0].parameters_json_schema</c>), the caller sent OpenAI's (<c>tools[0].function.parameters</c>).
    /// </summary>
    internal static string? Param(SidecarException error)
    {
        if (error.Violations.Count == 0)
        {
            return null;
        }

        var field = error.Violations[0].Field;
        if (field == "key_ref")
        {
            return null; // it came in the Authorization header
        }

        field = ToolField().Replace(field, "tools[$1].function.$2");
        field = ToolCallField().Replace(field, m => $"{m.Groups[1].Value}.function.{(m.Groups[2].Value == "arguments_json" ? "arguments" : "name")}");
        return field switch
        {
            "max_tokens" => "max_tokens",
            "response_format.json_schema_name" => "response_format.json_schema.name",
            "response_format.json_schema" => "response_format.json_schema.schema",
            "tool_choice.function_name" => "tool_choice.function.name",
            "tool_choice.mode" => "tool_choice",
            _ => field.Replace(".parameters_json_schema", ".parameters", StringComparison.Ordinal),
        };
    }

    [GeneratedRegex(@"^tools\[(\d+)\]\.(name|parameters_json_schema)$", RegexOptions.CultureInvariant)]
    private static partial Regex ToolField();

    [GeneratedRegex(@"^(messages\[\d+\]\.tool_calls\[\d+\])\.(name|arguments_json)$", RegexOptions.CultureInvariant)]
    private static partial Regex ToolCallField();
}
