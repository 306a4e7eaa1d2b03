using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Sidecar.Client.Tests;

public sealed class SidecarErrorExtensionsTests
{
    private static RpcException WithDetails(params IMessage[] details)
    {
        var status = new Google.Rpc.Status { Code = (int)Code.InvalidArgument, Message = "bad" };
        foreach (var detail in details)
        {
            status.Details.Add(Any.Pack(detail));
        }
        return status.ToRpcException();
    }

    [Fact]
    public void GetErrorReason_ErrorInfoPresent_ReturnsReasonAndDomain()
    {
        var ex = WithDetails(new ErrorInfo { Reason = "KEY_REF_NOT_FOUND", Domain = "sidecar", Metadata = { ["key_ref"] = "x" } });

        Assert.Equal(SidecarErrorReasons.KeyRefNotFound, ex.GetErrorReason());
        Assert.Equal(SidecarErrorReasons.Domain, ex.GetErrorInfo()!.Domain);
        Assert.Equal("x", ex.GetErrorInfo()!.Metadata["key_ref"]);
    }

    [Fact]
    public void GetRetryDelay_RetryInfoPresent_ReturnsTheDelay()
    {
        var ex = WithDetails(
            new ErrorInfo { Reason = "UPSTREAM_RATE_LIMITED", Domain = "sidecar" },
            new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(2500)) });

        Assert.Equal(TimeSpan.FromMilliseconds(2500), ex.GetRetryDelay());
        Assert.Equal("UPSTREAM_RATE_LIMITED", ex.GetErrorReason());
    }

    [Fact]
    public void GetFieldViolations_BadRequestPresent_ReturnsEveryViolation()
    {
        var ex = WithDetails(new BadRequest
        {
            FieldViolations =
            {
                new BadRequest.Types.FieldViolation { Field = "messages", Description = "at least one" },
                new BadRequest.Types.FieldViolation { Field = "messages[0].role", Description = "required" },
            },
        });

        Assert.Equal(["messages", "messages[0].role"], ex.GetFieldViolations().Select(v => v.Field));
        Assert.Null(ex.GetRetryDelay());
    }

    [Fact]
    public void Helpers_NoDetailsTrailer_ReturnNothing()
    {
        var ex = new RpcException(new Grpc.Core.Status(StatusCode.DeadlineExceeded, "late"));

        Assert.Null(ex.GetErrorReason());
        Assert.Null(ex.GetErrorInfo());
        Assert.Null(ex.GetRetryDelay());
        Assert.Empty(ex.GetFieldViolations());
    }

    [Fact]
    public void Helpers_MalformedDetailsTrailer_ReturnNothing()
    {
        var trailers = new Metadata { { "grpc-status-details-bin", new byte[] { 0xff, 0xff, 0xff } } };
        var ex = new RpcException(new Grpc.Core.Status(StatusCode.Internal, "broken"), trailers);

        Assert.Null(ex.GetErrorReason());
        Assert.Null(ex.GetRetryDelay());
        Assert.Empty(ex.GetFieldViolations());
    }
}
