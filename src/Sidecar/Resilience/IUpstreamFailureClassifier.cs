using Sidecar.Keys;

namespace Sidecar.Resilience;

/// <summary>
/// What the resilience layer needs to know about a failed attempt. It is answered by the layer that knows
/// the upstream's protocol and SDK (<c>Upstream/</c>), so the retry and breaker rules here know Polly and
/// nothing of OpenAI's exceptions or headers.
/// </summary>
internal interface IUpstreamFailureClassifier
{
    /// <summary>Whether retrying can help, and which breaker the failure counts against.</summary>
    FailureClass Classify(Exception exception);

    /// <summary>The wait the upstream asked for before a retry; null when it asked for none.</summary>
    TimeSpan? RetryAfter(Exception exception);

    /// <summary>What the failure was, in words safe to log and show (no body, no secret).</summary>
    string Describe(Exception? exception);

    /// <summary>The error a caller sees for a final failure that is not already ours; the exception itself when it is no upstream failure.</summary>
    Exception ToCallerError(Exception exception, ResolvedKey key);
}
