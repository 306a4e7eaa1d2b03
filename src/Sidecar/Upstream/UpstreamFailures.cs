using System.ClientModel;
using Sidecar.Clients;
using Sidecar.Errors;
using Sidecar.Keys;
using Sidecar.Resilience;

namespace Sidecar.Upstream;

/// <summary>
/// Classifies what an upstream attempt threw: whether retrying can help and which breaker it counts
/// against. 429 is a key's failure, not the endpoint's: upstreams rate limit per key or organisation, and
/// one team's exhausted quota must not close the endpoint for every other key. A 5xx or a timeout is the
/// model's: upstreams route models to different backends, and one failing model must not close the
/// endpoint for the tenants of the others. Only a failure to get any HTTP answer is the endpoint's.
/// The resilience layer asks through <see cref="IUpstreamFailureClassifier"/>, so it never sees the SDK's types.
/// </summary>
/// <param name="time">The clock a <c>Retry-After</c> given as an HTTP date is measured against.</param>
internal sealed class UpstreamFailures(TimeProvider time) : IUpstreamFailureClassifier
{
    public FailureClass Classify(Exception exception) => exception switch
    {
        UpstreamTimeoutException => new(true, FailureScope.Model),
        ClientResultException { Status: > 0 } cre => ByStatus(cre),
        // The endpoint answered, with something unusable (not JSON, no choice, over a size limit): like a 5xx.
        _ when UpstreamProtocolException.Find(exception) is not null => new(true, FailureScope.Model),
        // No HTTP response at all: the connection failed.
        _ when UpstreamErrors.IsUpstreamFailure(exception) => new(true, FailureScope.Endpoint),
        _ => new(false, FailureScope.None),
    };

    /// <summary>What an attempt's failure was, in words safe to log and show: a type name or an HTTP status.</summary>
    public string Describe(Exception? exception) => exception switch
    {
        null => "nothing",
        ClientResultException { Status: > 0 } cre => $"HTTP {cre.Status}",
        UpstreamTimeoutException timeout => timeout.Message,
        _ => exception.GetType().Name,
    };

    /// <summary>The error a caller sees for a final failure that is not already ours.</summary>
    public Exception ToCallerError(Exception exception, ResolvedKey key) => exception switch
    {
        UpstreamTimeoutException timeout => UpstreamErrors.Failure(
            key,
            SidecarError.UpstreamUnavailable,
            $"The upstream {key.Endpoint.Authority} did not answer in time: {timeout.Message}.",
            SidecarErrors.DefaultRetryAfter,
            timeout),
        _ when UpstreamErrors.IsUpstreamFailure(exception) => UpstreamErrors.Map(exception, key, time.GetUtcNow()),
        _ => exception,
    };

    private static FailureClass ByStatus(ClientResultException cre) => cre.Status switch
    {
        408 or 500 or 502 or 503 or 504 => new(true, FailureScope.Model),
        429 => new(!IsQuotaExhausted(cre), FailureScope.Key),
        401 or 403 => new(false, FailureScope.Key),
        >= 500 => new(false, FailureScope.Model),
        _ => new(false, FailureScope.None),
    };

    /// <summary>The wait the upstream asked for (see <see cref="UpstreamErrors.RetryAfter"/>); null when none.</summary>
    public TimeSpan? RetryAfter(Exception exception) =>
        exception is ClientResultException cre ? UpstreamErrors.RetryAfter(cre.GetRawResponse(), time.GetUtcNow()) : null;

    /// <summary>OpenAI answers 429 with code <c>insufficient_quota</c> when billing ran out: waiting does not help.</summary>
    private static bool IsQuotaExhausted(ClientResultException cre)
    {
        try
        {
            return cre.GetRawResponse()?.Content?.ToString().Contains("insufficient_quota", StringComparison.Ordinal) == true;
        }
        catch (InvalidOperationException)
        {
            // The body was streamed and not buffered: assume a plain rate limit.
            return false;
        }
    }
}
