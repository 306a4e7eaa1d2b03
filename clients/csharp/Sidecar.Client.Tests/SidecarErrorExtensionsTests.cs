using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using System.Reflection;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Sidecar.V1;

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

    private static RpcException Exhausted(string reason, TimeSpan delay)
    {
        var status = new Google.Rpc.Status { Code = (int)Code.ResourceExhausted, Message = "limit" };
        status.Details.Add(Any.Pack(new ErrorInfo { Reason = reason, Domain = "sidecar" }));
        status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));
        return status.ToRpcException();
    }

    [Fact]
    public void IsRetryable_RetryInfo_TrueExceptForAnExhaustedBudget()
    {
        var shared = Exhausted("SHARED_LIMIT", TimeSpan.FromMilliseconds(300));
        var budget = Exhausted("BUDGET_EXHAUSTED", TimeSpan.FromHours(5));

        Assert.True(shared.IsRetryable());
        Assert.False(budget.IsRetryable());
        Assert.Equal(TimeSpan.FromHours(5), budget.GetRetryDelay()); // still says when the budget resets
        Assert.False(WithDetails(new ErrorInfo { Reason = "UPSTREAM_REJECTED", Domain = "sidecar" }).IsRetryable());
    }

    [Fact]
    public void GetErrorReasonValue_KnownUnknownOrNoReason_TheEnumValueOrNull()
    {
        Assert.Equal(ErrorReason.SharedLimit, Exhausted("SHARED_LIMIT", TimeSpan.FromSeconds(1)).GetErrorReasonValue());
        Assert.Equal(ErrorReason.KeyRefNotFound, WithDetails(new ErrorInfo { Reason = "KEY_REF_NOT_FOUND", Domain = "sidecar" }).GetErrorReasonValue());
        Assert.Null(WithDetails(new ErrorInfo { Reason = "FROM_A_NEWER_DAEMON", Domain = "sidecar" }).GetErrorReasonValue());
        Assert.Null(WithDetails(new ErrorInfo { Reason = "ERROR_REASON_UNSPECIFIED", Domain = "sidecar" }).GetErrorReasonValue());
        Assert.Null(new RpcException(new Grpc.Core.Status(StatusCode.DeadlineExceeded, "late")).GetErrorReasonValue());
    }

    [Fact]
    public void SidecarErrorReasons_OneFieldPerErrorReasonValue_HoldingItsWireName()
    {
        // The enum as protoc generated it: each member carries its proto name in [OriginalName].
        var members = typeof(ErrorReason).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => (int)f.GetValue(null)! != 0)
            .OrderBy(f => (int)f.GetValue(null)!)
            .ToDictionary(f => f.Name, f => f.GetCustomAttribute<OriginalNameAttribute>()!.Name);
        var fields = typeof(SidecarErrorReasons).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.Name != nameof(SidecarErrorReasons.Domain))
            .ToDictionary(f => f.Name, f => (string)f.GetValue(null)!);

        Assert.Equal(members.OrderBy(m => m.Key), fields.OrderBy(f => f.Key)); // a new proto value needs its field
        Assert.Equal(members.Values, SidecarErrorReasons.All);
        Assert.Equal("SHARED_LIMIT", SidecarErrorReasons.SharedLimit);
        Assert.Equal("BUDGET_EXHAUSTED", SidecarErrorReasons.BudgetExhausted);
        Assert.Equal("KEY_REF_NOT_FOUND", SidecarErrorReasons.NameOf(ErrorReason.KeyRefNotFound));
        Assert.Throws<ArgumentOutOfRangeException>(() => SidecarErrorReasons.NameOf((ErrorReason)999));
    }
}
