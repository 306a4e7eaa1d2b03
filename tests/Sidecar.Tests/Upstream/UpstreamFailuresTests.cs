using System.ClientModel;
using System.Net.Sockets;
using Sidecar.Tests.Resilience;
using Sidecar.Upstream;

namespace Sidecar.Tests.Upstream;

public sealed class UpstreamFailuresTests
{
    private readonly UpstreamFailures _failures = new(TimeProvider.System);

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
        Assert.Equal(expected, _failures.Classify(Failures.Http(status)).Scope.ToString());
    }

    [Fact]
    public void Classify_ConnectionFailure_IsTheEndpoints()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused));

        Assert.Equal(new FailureClass(true, FailureScope.Endpoint), _failures.Classify(refused));
        Assert.Equal(new FailureClass(true, FailureScope.Endpoint), _failures.Classify(new ClientResultException("refused", null, refused)));
    }

    [Fact]
    public void Classify_RequestHttpClientRefusedToWrite_CountsNowhereAndIsNotRetried()
    {
        // What SocketsHttpHandler throws for a header value it cannot encode: the upstream never saw the request.
        var unsent = new HttpRequestException("Request headers must contain only ASCII characters.");

        Assert.Equal(new FailureClass(false, FailureScope.None), _failures.Classify(unsent));
        Assert.Equal(new FailureClass(false, FailureScope.None), _failures.Classify(new ClientResultException(unsent.Message, null, unsent)));
    }

    [Fact]
    public void Classify_Timeout_IsTheModels()
    {
        Assert.Equal(new FailureClass(true, FailureScope.Model), _failures.Classify(new UpstreamTimeoutException("no first token within 1 s", null)));
    }

    [Fact]
    public void Classify_UnusableAnswer_IsRetriedAndTheModels()
    {
        var fault = new UpstreamProtocolException("its 200 answer is not a chat completion with a choice (invalid JSON)");

        Assert.Equal(new FailureClass(true, FailureScope.Model), _failures.Classify(fault));
        Assert.Equal(new FailureClass(true, FailureScope.Model), _failures.Classify(new HttpRequestException("copying", fault)));
    }

    [Fact]
    public void Classify_Cancellation_CountsNowhere()
    {
        Assert.Equal(new FailureClass(false, FailureScope.None), _failures.Classify(new TaskCanceledException()));
    }

    [Fact]
    public void RetryAfter_NoHeaderOrNotAnHttpAnswer_IsNull()
    {
        Assert.Null(_failures.RetryAfter(Failures.Http(503)));
        Assert.Null(_failures.RetryAfter(new IOException()));
        Assert.Null(_failures.RetryAfter(Failures.RetryAfter(503, "soon")));
    }
}
