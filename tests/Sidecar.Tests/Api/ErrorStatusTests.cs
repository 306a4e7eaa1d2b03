using Google.Rpc;
using Grpc.Core;
using Sidecar.Api;
using Sidecar.V1;

namespace Sidecar.Tests.Api;

public sealed class ErrorStatusTests
{
    [Theory]
    [InlineData((int)SidecarError.InvalidRequest, StatusCode.InvalidArgument, "INVALID_REQUEST")]
    [InlineData((int)SidecarError.KeyRefNotFound, StatusCode.NotFound, "KEY_REF_NOT_FOUND")]
    [InlineData((int)SidecarError.KeyRefForbidden, StatusCode.PermissionDenied, "KEY_REF_FORBIDDEN")]
    [InlineData((int)SidecarError.ModelNotAllowed, StatusCode.PermissionDenied, "MODEL_NOT_ALLOWED")]
    [InlineData((int)SidecarError.KeyUnavailable, StatusCode.FailedPrecondition, "KEY_UNAVAILABLE")]
    [InlineData((int)SidecarError.UpstreamAuth, StatusCode.Unauthenticated, "UPSTREAM_AUTH")]
    [InlineData((int)SidecarError.UpstreamRejected, StatusCode.InvalidArgument, "UPSTREAM_REJECTED")]
    [InlineData((int)SidecarError.UpstreamNotFound, StatusCode.NotFound, "UPSTREAM_REJECTED")]
    [InlineData((int)SidecarError.UpstreamRateLimited, StatusCode.ResourceExhausted, "UPSTREAM_RATE_LIMITED")]
    [InlineData((int)SidecarError.LocalLimit, StatusCode.ResourceExhausted, "LOCAL_LIMIT")]
    [InlineData((int)SidecarError.UpstreamUnavailable, StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE")]
    [InlineData((int)SidecarError.CircuitOpen, StatusCode.Unavailable, "CIRCUIT_OPEN")]
    [InlineData((int)SidecarError.UpstreamStreamBroken, StatusCode.Unavailable, "UPSTREAM_STREAM_BROKEN")]
    [InlineData((int)SidecarError.ShuttingDown, StatusCode.Unavailable, "SHUTTING_DOWN")]
    [InlineData((int)SidecarError.SharedLimit, StatusCode.ResourceExhausted, "SHARED_LIMIT")]
    [InlineData((int)SidecarError.BudgetExhausted, StatusCode.ResourceExhausted, "BUDGET_EXHAUSTED")]
    [InlineData((int)SidecarError.SharedStateUnavailable, StatusCode.Unavailable, "SHARED_STATE_UNAVAILABLE")]
    public void ToRpcException_EachError_HasItsCodeAndReason(int error, StatusCode code, string reason)
    {
        var exception = ErrorStatus.ToRpcException(new SidecarException((SidecarError)error, "message"));

        Assert.Equal(code, exception.StatusCode);
        var status = exception.GetRpcStatus();
        Assert.NotNull(status);
        var info = status.GetDetail<ErrorInfo>();
        Assert.Equal(reason, info.Reason);
        Assert.Equal("sidecar", info.Domain);
    }

    [Fact]
    public void Of_EveryError_HasAReasonOfItsOwnKind()
    {
        // A new SidecarError without a line in the map would fall to INTERNAL.
        foreach (var error in Enum.GetValues<SidecarError>())
        {
            Assert.NotEqual("INTERNAL", ErrorStatus.Of(error).Reason);
        }
    }

    [Theory]
    [InlineData((int)ErrorReason.KeyRefNotFound, "KEY_REF_NOT_FOUND")]
    [InlineData((int)ErrorReason.UpstreamStreamBroken, "UPSTREAM_STREAM_BROKEN")]
    [InlineData((int)ErrorReason.Internal, "INTERNAL")]
    public void NameOf_SpellsTheReasonAsTheProtoDoes(int reason, string name) =>
        Assert.Equal(name, ErrorStatus.NameOf((ErrorReason)reason));

    [Fact]
    public void ToRpcException_WithViolationsAndRetry_CarriesBadRequestAndRetryInfo()
    {
        var exception = ErrorStatus.ToRpcException(new SidecarException(
            SidecarError.InvalidRequest,
            "bad",
            retryAfter: TimeSpan.FromSeconds(2),
            violations: [new FieldViolation("messages[3].role", "must be set")]));

        var status = exception.GetRpcStatus()!;
        var violation = Assert.Single(status.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal("messages[3].role", violation.Field);
        Assert.Equal(TimeSpan.FromSeconds(2), status.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());
        Assert.Equal("2000", status.GetDetail<ErrorInfo>().Metadata["retry_after_ms"]);
    }

    [Fact]
    public void CodeNames_Of_SpellsCodesAsGrpcDoes()
    {
        Assert.Equal("OK", CodeNames.Of(StatusCode.OK));
        Assert.Equal("RESOURCE_EXHAUSTED", CodeNames.Of(StatusCode.ResourceExhausted));
        Assert.Equal("UNAUTHENTICATED", CodeNames.Of(StatusCode.Unauthenticated));
    }
}
