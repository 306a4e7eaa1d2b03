using Grpc.Core;
using Sidecar.Errors;
using Sidecar.Routing;

namespace Sidecar.Api;

/// <summary>Answers routing's questions about an error from <see cref="ErrorStatus"/>, the one mapping to the contract.</summary>
internal sealed class ReasonNames : IReasonNames
{
    public string Of(SidecarError error) => ErrorStatus.Of(error).Reason;

    public bool IsInvalidArgument(SidecarError error) => ErrorStatus.Of(error).Code == StatusCode.InvalidArgument;
}
