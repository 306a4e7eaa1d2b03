using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Sidecar.Clients;
using Sidecar.Errors;
using Sidecar.Keys;

namespace Sidecar.Upstream;

/// <summary>
/// Maps what the SDK throws to our errors (README's error table). Of an upstream's error body only the
/// <c>error</c> object's <c>message</c>, <c>type</c> and <c>code</c> are quoted, only for request
/// rejections (4xx other than 401/403/429), each scrubbed of the key in its disguises
/// (<see cref="SecretRedactor"/>) and trimmed: a body may echo part of the key.
/// </summary>
internal static class UpstreamErrors
{
    private const int MaxQuotedLength = 300;

    // Longer upstream text is cut before it is redacted: nothing past this is ever quoted anyway.
    private const int MaxScannedLength = 4096;

    public static bool IsUpstreamFailure(Exception exception) => exception switch
    {
        // The SDK's transport wraps what HttpClient throws in a ClientResultException without a status.
        ClientResultException { Status: 0, InnerException: HttpRequestException inner } => !IsUnsentRequest(inner),
        HttpRequestException http => !IsUnsentRequest(http),
        ClientResultException or IOException or SocketException => true,
        _ => false,
    };

    /// <summary>
    /// HttpClient refused to write the request (a header value it cannot encode, for one): the upstream
    /// never saw it, so it is no failure of the upstream's and counts against no breaker. Such a fault is
    /// ours, and surfaces as INTERNAL with the daemon's log saying what happened.
    /// </summary>
    private static bool IsUnsentRequest(HttpRequestException exception) =>
        exception is { HttpRequestError: HttpRequestError.Unknown, InnerException: null };

    public static SidecarException Map(Exception exception, ResolvedKey key, DateTimeOffset now)
    {
        if (UpstreamProtocolException.Find(exception) is { } fault)
        {
            return Failure(key, SidecarError.UpstreamUnavailable, $"The upstream {key.Endpoint.Authority} sent an unusable answer: {fault.Message}.", SidecarErrors.DefaultRetryAfter, exception);
        }

        if (exception is not ClientResultException { Status: > 0 } cre)
        {
            return Failure(key, SidecarError.UpstreamUnavailable, $"The upstream {key.Endpoint.Authority} could not be reached.", SidecarErrors.DefaultRetryAfter, exception);
        }

        var status = cre.Status;
        var response = cre.GetRawResponse();
        var (error, message, retryAfter) = status switch
        {
            401 or 403 => (SidecarError.UpstreamAuth, $"The upstream refused the key of key_ref '{key.KeyRef}' (HTTP {status}).", (TimeSpan?)null),
            400 or 422 => (SidecarError.UpstreamRejected, $"The upstream rejected the request (HTTP {status}){Quote(response, key)}", null),
            404 => (SidecarError.UpstreamNotFound, $"The upstream does not know the model or route (HTTP 404){Quote(response, key)}", null),
            429 => (SidecarError.UpstreamRateLimited, "The upstream is rate limiting this key (HTTP 429).", RetryAfter(response, now) ?? SidecarErrors.DefaultRetryAfter),
            >= 300 and < 400 => (SidecarError.UpstreamRejected, $"The upstream answered with a redirect (HTTP {status}), which the sidecar does not follow: configure the endpoint it points to.", null),
            408 or >= 500 => (SidecarError.UpstreamUnavailable, $"The upstream failed (HTTP {status}).", RetryAfter(response, now) ?? SidecarErrors.DefaultRetryAfter),
            _ => (SidecarError.UpstreamRejected, $"The upstream rejected the request (HTTP {status}){Quote(response, key)}", null),
        };
        return SidecarErrors.Upstream(
            error,
            message,
            key.KeyRef,
            key.Endpoint.Authority,
            retryAfter,
            httpStatus: status);
    }

    /// <summary>A failure of the upstream behind <paramref name="key"/>, as the caller sees it.</summary>
    public static SidecarException Failure(ResolvedKey key, SidecarError error, string message, TimeSpan? retryAfter, Exception? inner) =>
        SidecarErrors.Upstream(error, message, key.KeyRef, key.Endpoint.Authority, retryAfter, inner);

    /// <summary>
    /// What the SDK throws when an upstream's 200 is not what the protocol promises: JSON it cannot parse,
    /// fields of the wrong kind, no choice to read. (Never a cancellation: an <see cref="ObjectDisposedException"/>
    /// is a stream closed under a read.)
    /// </summary>
    public static bool IsMalformedAnswer(Exception exception) =>
        exception is JsonException or FormatException or ArgumentException or KeyNotFoundException or IndexOutOfRangeException
        || (exception is InvalidOperationException && exception is not ObjectDisposedException);

    /// <summary>
    /// What the SDK throws while turning a received 200 into its model (JSON it cannot parse, a field of the
    /// wrong kind); unlike <see cref="IsMalformedAnswer"/> no argument error, which the SDK raises for a
    /// request it refuses to send.
    /// </summary>
    public static bool IsUnreadableBody(Exception exception) =>
        exception is JsonException or FormatException
        || (exception is InvalidOperationException && exception is not ObjectDisposedException);

    /// <summary>Why a started stream broke, in words safe to show: a protocol fault's own words, else the failure's type.</summary>
    public static string Describe(Exception exception) =>
        UpstreamProtocolException.Find(exception)?.Message ?? exception.GetType().Name;

    /// <summary>
    /// A 200 whose body the SDK could not turn into an answer: not JSON, an <c>error</c> object, no choice.
    /// The error object's message, type and code are quoted, redacted, when there is one.
    /// </summary>
    public static UpstreamProtocolException UnusableAnswer(PipelineResponse? response, ResolvedKey key, Exception inner)
    {
        var quoted = Quote(response, key);
        return quoted.Length > 1
            ? new UpstreamProtocolException($"its 200 answer carries an error object{quoted}", inner)
            : new UpstreamProtocolException($"its 200 answer is not a chat completion with a choice ({What(inner)})", inner);
    }

    /// <summary>A reader's failure in a word or two: the SDK's JSON errors are internal subtypes, so they are named by what they mean.</summary>
    public static string What(Exception exception) => exception is JsonException ? "invalid JSON" : exception.GetType().Name;

    public static SidecarException StreamBroken(string why, ResolvedKey key, Exception? inner = null) => Failure(
        key,
        SidecarError.UpstreamStreamBroken,
        $"The upstream stream broke after it had started: {why}. The answer is incomplete.",
        SidecarErrors.DefaultRetryAfter,
        inner);

    /// <summary>
    /// The wait the upstream asked for: <c>retry-after-ms</c> (OpenAI, Azure OpenAI) first, then
    /// <c>Retry-After</c> in seconds or as an HTTP date. Null when it asked for none. The retry layer
    /// waits this long, and the caller's <c>RetryInfo</c> says the same. An HTTP date is measured from
    /// <paramref name="now"/>, the daemon's <see cref="TimeProvider"/>'s time.
    /// </summary>
    internal static TimeSpan? RetryAfter(PipelineResponse? response, DateTimeOffset now)
    {
        if (response is null)
        {
            return null;
        }

        if (response.Headers.TryGetValue("retry-after-ms", out var ms)
            && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis)
            && millis >= 0
            && millis < TimeSpan.FromHours(1).TotalMilliseconds)
        {
            return TimeSpan.FromMilliseconds(millis);
        }

        if (!response.Headers.TryGetValue("Retry-After", out var value) || string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(Math.Min(seconds, 3600));
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var delay = date - now;
            return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
        }

        return null;
    }

    /// <summary>
    /// <c>": message (type: …, code: …)."</c> from an OpenAI-shaped error body, each part redacted, or
    /// <c>"."</c> when the body has none. Nothing else of the body is ever quoted.
    /// </summary>
    private static string Quote(PipelineResponse? response, ResolvedKey key)
    {
        string? message = null, type = null, code = null;
        try
        {
            var body = response?.Content?.ToString();
            if (!string.IsNullOrEmpty(body))
            {
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.ValueKind == JsonValueKind.Object
                    && doc.RootElement.TryGetProperty("error", out var error)
                    && error.ValueKind == JsonValueKind.Object)
                {
                    message = Part(error, "message", key);
                    type = Part(error, "type", key);
                    code = Part(error, "code", key);
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not the OpenAI error shape, or a body that was streamed and not buffered: say nothing rather
            // than quote an arbitrary body.
        }

        var labels = string.Join(", ", new[] { ("type", type), ("code", code) }.Where(p => p.Item2 is not null).Select(p => $"{p.Item1}: {p.Item2}"));
        if (message is null && labels.Length == 0)
        {
            return ".";
        }

        var quoted = (message, labels.Length) switch
        {
            (null, _) => labels,
            (_, 0) => message,
            _ => $"{message} ({labels})",
        };
        if (quoted.Length > MaxQuotedLength)
        {
            quoted = quoted[..MaxQuotedLength] + "…";
        }

        return $": {quoted}";
    }

    /// <summary>A string (or number) field of the error object, cut to what could be quoted and redacted; null when absent or blank.</summary>
    private static string? Part(JsonElement error, string name, ResolvedKey key)
    {
        if (!error.TryGetProperty(name, out var value))
        {
            return null;
        }

        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        text = text.Length > MaxScannedLength ? text[..MaxScannedLength] : text;
        return SecretRedactor.Redact(text.Trim(), key.Secret);
    }
}
