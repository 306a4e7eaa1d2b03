namespace Sidecar.Client;

/// <summary>
/// The <c>google.rpc.ErrorInfo.reason</c> values the daemon sends (domain <see cref="Domain"/>), as
/// returned by <see cref="SidecarErrorExtensions.GetErrorReason"/>.
/// </summary>
public static class SidecarErrorReasons
{
    /// <summary>The ErrorInfo domain of the daemon's errors.</summary>
    public const string Domain = "sidecar";

    /// <summary>INVALID_ARGUMENT: the request is malformed; see the field violations.</summary>
    public const string InvalidRequest = "INVALID_REQUEST";

    /// <summary>NOT_FOUND: the daemon has no such key reference.</summary>
    public const string KeyRefNotFound = "KEY_REF_NOT_FOUND";

    /// <summary>PERMISSION_DENIED: this caller may not use the key reference.</summary>
    public const string KeyRefForbidden = "KEY_REF_FORBIDDEN";

    /// <summary>PERMISSION_DENIED: the key reference may not use this model.</summary>
    public const string ModelNotAllowed = "MODEL_NOT_ALLOWED";

    /// <summary>FAILED_PRECONDITION: the daemon cannot read the secret.</summary>
    public const string KeyUnavailable = "KEY_UNAVAILABLE";

    /// <summary>UNAUTHENTICATED: the upstream refused the key.</summary>
    public const string UpstreamAuth = "UPSTREAM_AUTH";

    /// <summary>INVALID_ARGUMENT or NOT_FOUND: the upstream refused the request.</summary>
    public const string UpstreamRejected = "UPSTREAM_REJECTED";

    /// <summary>RESOURCE_EXHAUSTED: the upstream rate-limits; retry after the retry delay.</summary>
    public const string UpstreamRateLimited = "UPSTREAM_RATE_LIMITED";

    /// <summary>RESOURCE_EXHAUSTED: a local rate or concurrency limit; retry after the retry delay.</summary>
    public const string LocalLimit = "LOCAL_LIMIT";

    /// <summary>UNAVAILABLE: the upstream failed after the daemon's retries; retry after the retry delay.</summary>
    public const string UpstreamUnavailable = "UPSTREAM_UNAVAILABLE";

    /// <summary>UNAVAILABLE: the circuit breaker is open; retry after the retry delay.</summary>
    public const string CircuitOpen = "CIRCUIT_OPEN";

    /// <summary>UNAVAILABLE or ABORTED: a stream broke after its first token; the answer is incomplete.</summary>
    public const string UpstreamStreamBroken = "UPSTREAM_STREAM_BROKEN";

    /// <summary>UNAVAILABLE: the daemon is shutting down; retry after the retry delay (against its replacement).</summary>
    public const string ShuttingDown = "SHUTTING_DOWN";
}
