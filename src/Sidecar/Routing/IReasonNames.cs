using Sidecar.Errors;

namespace Sidecar.Routing;

/// <summary>
/// What routing needs to know about a failure's place in the contract, answered by the layer that owns
/// the mapping to gRPC statuses (<c>Api/</c>), so routing sits below the doors and knows no gRPC.
/// </summary>
internal interface IReasonNames
{
    /// <summary>The <c>sidecar.v1.ErrorReason</c> name callers see for the error (e.g. <c>UPSTREAM_RATE_LIMITED</c>).</summary>
    string Of(SidecarError error);

    /// <summary>Whether callers see the error as INVALID_ARGUMENT: the request itself is at fault, on every target.</summary>
    bool IsInvalidArgument(SidecarError error);
}
