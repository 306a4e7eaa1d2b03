namespace Sidecar.Errors;

/// <summary>
/// Every failure the daemon reports, independent of gRPC. <c>Api/ErrorStatus</c> maps each
/// to a status code and a reason of the contract's <c>sidecar.v1.ErrorReason</c> in one place.
/// </summary>
internal enum SidecarError
{
    InvalidRequest,
    KeyRefNotFound,
    KeyRefForbidden,
    ModelNotAllowed,
    KeyUnavailable,
    UpstreamAuth,
    UpstreamRejected,
    UpstreamNotFound,
    UpstreamRateLimited,
    LocalLimit,
    UpstreamUnavailable,
    CircuitOpen,
    UpstreamStreamBroken,
    ShuttingDown,

    /// <summary>A limit shared by every sidecar on the same Redis is full.</summary>
    SharedLimit,

    /// <summary>The key_ref's token budget for the period is used up.</summary>
    BudgetExhausted,

    /// <summary>Redis cannot be reached and <c>Sidecar:Redis:FailMode</c> is <c>closed</c>.</summary>
    SharedStateUnavailable,
}
