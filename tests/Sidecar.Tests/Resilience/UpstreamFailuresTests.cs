using Sidecar.Resilience;

namespace Sidecar.Tests.Resilience;

public sealed class UpstreamFailuresTests
{
    [Theory]
    [InlineData(500, "Model")]
    [InlineData(503, "Model")]
    [InlineData(408, "Model")]
    [InlineData(501, "Model")]
    [InlineData(401, "Key")]
    [InlineData(403, "Key")]
    [InlineData(429, "Key")]
    [InlineData(400, "None")]
    [InlineData(404, "None")]
    [InlineData(422, "None")]
    public void Classify_HttpStatus_CountsAgainstTheRightBreaker(int status, string expected)
    {
        Assert.Equal(expected, UpstreamFailures.Classify(Failures.Http(status)).Scope.ToString());
    }

    [Fact]
    public void Classify_ConnectionFailure_IsTheEndpoints()
    {
        Assert.Equal(new FailureClass(true, FailureScope.Endpoint), UpstreamFailures.Classify(new HttpRequestException("refused")));
    }

    [Fact]
    public void Classify_Timeout_IsTheModels()
    {
        Assert.Equal(new FailureClass(true, FailureScope.Model), UpstreamFailures.Classify(new UpstreamTimeoutException("no first token within 1 s", null)));
    }

    [Fact]
    public void Classify_Cancellation_CountsNowhere()
    {
        Assert.Equal(new FailureClass(false, FailureScope.None), UpstreamFailures.Classify(new TaskCanceledException()));
    }

    [Fact]
    public void RetryAfter_NoHeaderOrNotAnHttpAnswer_IsNull()
    {
        Assert.Null(UpstreamFailures.RetryAfter(Failures.Http(503)));
        Assert.Null(UpstreamFailures.RetryAfter(new IOException()));
        Assert.Null(UpstreamFailures.RetryAfter(Failures.RetryAfter(503, "soon")));
    }
}
