using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Sidecar.Errors;
using Status = Google.Rpc.Status;

namespace Sidecar.Api;

/// <summary>The one place where our errors become gRPC statuses with <c>google.rpc</c> details.</summary>
internal static class ErrorStatus
{
    public const string Domain = "sidecar";

    public static (StatusCode Code, string Reason) Of(SidecarError error) => error switch
    {
        SidecarError.InvalidRequest => (StatusCode.InvalidArgument, "INVALID_REQUEST"),
        SidecarError.KeyRefNotFound => (StatusCode.NotFound, "KEY_REF_NOT_FOUND"),
        SidecarError.KeyRefForbidden => (StatusCode.PermissionDenied, "KEY_REF_FORBIDDEN"),
        SidecarError.ModelNotAllowed => (StatusCode.PermissionDenied, "MODEL_NOT_ALLOWED"),
        SidecarError.KeyUnavailable => (StatusCode.FailedPrecondition, "KEY_UNAVAILABLE"),
        SidecarError.UpstreamAuth => (StatusCode.Unauthenticated, "UPSTREAM_AUTH"),
        SidecarError.UpstreamRejected => (StatusCode.InvalidArgument, "UPSTREAM_REJECTED"),
        SidecarError.UpstreamNotFound => (StatusCode.NotFound, "UPSTREAM_REJECTED"),
        SidecarError.UpstreamRateLimited => (StatusCode.ResourceExhausted, "UPSTREAM_RATE_LIMITED"),
        SidecarError.LocalLimit => (StatusCode.ResourceExhausted, "LOCAL_LIMIT"),
        SidecarError.UpstreamUnavailable => (StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE"),
        SidecarError.CircuitOpen => (StatusCode.Unavailable, "CIRCUIT_OPEN"),
        SidecarError.UpstreamStreamBroken => (StatusCode.Unavailable, "UPSTREAM_STREAM_BROKEN"),
        SidecarError.ShuttingDown => (StatusCode.Unavailable, "SHUTTING_DOWN"),
        _ => (StatusCode.Internal, "INTERNAL"),
    };

    public static RpcException ToRpcException(SidecarException exception)
    {
        var (code, reason) = Of(exception.Error);
        var info = new ErrorInfo { Reason = reason, Domain = Domain };
        if (exception.Metadata is { } metadata)
        {
            foreach (var (name, value) in metadata)
            {
                info.Metadata[name] = value;
            }
        }

        if (exception.RetryAfter is { } retryAfter)
        {
            info.Metadata["retry_after_ms"] = ((long)retryAfter.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        }

        var status = new Status { Code = (int)code, Message = exception.Message, Details = { Any.Pack(info) } };
        if (exception.Violations.Count > 0)
        {
            var badRequest = new BadRequest();
            foreach (var violation in exception.Violations)
            {
                badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = violation.Field, Description = violation.Description });
            }

            status.Details.Add(Any.Pack(badRequest));
        }

        if (exception.RetryAfter is { } delay)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));
        }

        return status.ToRpcException();
    }
}
