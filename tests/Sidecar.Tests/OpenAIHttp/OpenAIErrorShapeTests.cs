using Sidecar.Api;
using Sidecar.Errors;
using Sidecar.OpenAIHttp;

namespace Sidecar.Tests.OpenAIHttp;

public sealed class OpenAIErrorShapeTests
{
    [Fact]
    public void Of_EveryError_HasTheCodeOfItsGrpcReason()
    {
        // Both doors name a failure the same way: the HTTP error.code is the gRPC ErrorInfo.reason in
        // lower case, so an agent moving from one door to the other keeps its error handling.
        foreach (var error in Enum.GetValues<SidecarError>())
        {
            Assert.Equal(ErrorStatus.Of(error).Reason.ToLowerInvariant(), OpenAIErrorShape.Of(error).Code);
        }
    }

    [Theory]
    [InlineData((int)SidecarError.SharedLimit, 429)]
    [InlineData((int)SidecarError.BudgetExhausted, 429)]
    [InlineData((int)SidecarError.SharedStateUnavailable, 503)]
    public void Of_SharedStateErrors_HaveTheStatusTheSdksRetryOn(int error, int status) =>
        Assert.Equal(status, OpenAIErrorShape.Of((SidecarError)error).Status);
}
