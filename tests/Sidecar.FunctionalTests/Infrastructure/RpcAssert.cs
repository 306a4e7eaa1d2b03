using Google.Rpc;

namespace Sidecar.FunctionalTests;

internal static class RpcAssert
{
    /// <summary>Asserts the call failed with this code and, when given, this ErrorInfo reason; returns the status.</summary>
    public static async Task<Google.Rpc.Status?> FailsAsync(Func<Task> call, StatusCode code, string? reason = null)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => call().WaitAsync(Daemon.Timeout));
        Assert.Equal(code, error.StatusCode);
        var status = error.GetRpcStatus();
        if (reason is not null)
        {
            Assert.NotNull(status);
            var info = status.GetDetail<ErrorInfo>();
            Assert.Equal(reason, info?.Reason);
            Assert.Equal("sidecar", info?.Domain);
        }

        return status;
    }
}
