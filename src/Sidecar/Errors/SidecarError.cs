namespace Sidecar.Errors;

/// <summary>
/// Every failure the daemon reports, independent of gRPC. <see cref="Api.ErrorStatus"/> maps each
/// to a status code and a stable <c>ErrorInfo.reason</c> in one place.
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
}
