using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Sidecar.Errors;
using Sidecar.Keys;

namespace Sidecar.Upstream;

/// <summary>
/// Maps what the SDK throws to our errors, per DESIGN.md's table. Upstream bodies are quoted only for
/// request rejections (400/404/422), trimmed, and scrubbed of the key: a 401 body may echo part of it.
/// </summary>
internal static class UpstreamErrors
{
    private const int MaxQuotedLength = 300;
    private static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(1);

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

    public static SidecarException Map(Exception exception, ResolvedKey key)
    {
        var metadata = new Dictionary<string, string> { ["key_ref"] = key.KeyRef, ["upstream"] = key.Endpoint.Authority };
        if (exception is not ClientResultException { Status: > 0 } cre)
        {
            return new SidecarException(
                SidecarError.UpstreamUnavailable,
                $"The upstream {key.Endpoint.Authority} could not be reached.",
                retryAfter: DefaultRetryAfter,
                metadata: metadata,
                innerException: exception);
        }

        var status = cre.Status;
        metadata["http_status"] = status.ToString(CultureInfo.InvariantCulture);
        var response = cre.GetRawResponse();
        return status switch
        {
            401 or 403 => new SidecarException(
                SidecarError.UpstreamAuth,
                $"The upstream refused the key of key_ref '{key.KeyRef}' (HTTP {status}).",
                metadata: metadata),
            400 or 422 => new SidecarException(
                SidecarError.UpstreamRejected,
                $"The upstream rejected the request (HTTP {status}){Quote(response, key)}",
                metadata: metadata),
            404 => new SidecarException(
                SidecarError.UpstreamNotFound,
                $"The upstream does not know the model or route (HTTP 404){Quote(response, key)}",
                metadata: metadata),
            429 => new SidecarException(
                SidecarError.UpstreamRateLimited,
                "The upstream is rate limiting this key (HTTP 429).",
                retryAfter: RetryAfter(response) ?? DefaultRetryAfter,
                metadata: metadata),
            408 or >= 500 => new SidecarException(
                SidecarError.UpstreamUnavailable,
                $"The upstream failed (HTTP {status}).",
                retryAfter: RetryAfter(response) ?? DefaultRetryAfter,
                metadata: metadata),
            _ => new SidecarException(
                SidecarError.UpstreamRejected,
                $"The upstream rejected the request (HTTP {status}){Quote(response, key)}",
                metadata: metadata),
        };
    }

    public static SidecarException StreamBroken(string why, ResolvedKey key, Exception? inner = null) => new(
        SidecarError.UpstreamStreamBroken,
        $"The upstream stream broke after it had started: {why}. The answer is incomplete.",
        retryAfter: DefaultRetryAfter,
        metadata: new Dictionary<string, string> { ["key_ref"] = key.KeyRef, ["upstream"] = key.Endpoint.Authority },
        innerException: inner);

    /// <summary>
    /// The wait the upstream asked for: <c>retry-after-ms</c> (OpenAI, Azure OpenAI) first, then
    /// <c>Retry-After</c> in seconds or as an HTTP date. Null when it asked for none. The retry layer
    /// waits this long, and the caller's <c>RetryInfo</c> says the same.
    /// </summary>
    internal static TimeSpan? RetryAfter(PipelineResponse? response)
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
            var delay = date - DateTimeOffset.UtcNow;
            return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
        }

        return null;
    }

    private static string Quote(PipelineResponse? response, ResolvedKey key)
    {
        string? message = null;
        try
        {
            var body = response?.Content?.ToString();
            if (!string.IsNullOrEmpty(body))
            {
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.TryGetProperty("error", out var error)
                    && error.ValueKind == JsonValueKind.Object
                    && error.TryGetProperty("message", out var text)
                    && text.ValueKind == JsonValueKind.String)
                {
                    message = text.GetString();
                }
            }
        }
        catch (JsonException)
        {
            // Not the OpenAI error shape: say nothing rather than quote an arbitrary body.
        }

        if (string.IsNullOrWhiteSpace(message))
        {
            return ".";
        }

        if (key.Secret.Length > 0)
        {
            message = message.Replace(key.Secret, "[redacted]", StringComparison.Ordinal);
        }

        if (message.Length > MaxQuotedLength)
        {
            message = message[..MaxQuotedLength] + "…";
        }

        return $": {message}";
    }
}
