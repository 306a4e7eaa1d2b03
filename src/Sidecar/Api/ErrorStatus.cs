using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Sidecar.Errors;
using Sidecar.V1;
using Status = Google.Rpc.Status;

namespace Sidecar.Api;

/// <summary>
/// The one place where our errors become gRPC statuses with <c>google.rpc</c> details. The reasons are
/// the contract's <c>sidecar.v1.ErrorReason</c> values (protos/sidecar/v1/errors.proto), sent by name.
/// </summary>
internal static class ErrorStatus
{
    public const string Domain = "sidecar";

    // The proto's value names (KEY_REF_NOT_FOUND), read once from its descriptor: C# spells the
    // members in PascalCase, and agents compare the proto's spelling.
    private static readonly string[] ReasonNames = ReadReasonNames();

    public static (StatusCode Code, string Reason) Of(SidecarError error)
    {
        var (code, reason) = Map(error);
        return (code, NameOf(reason));
    }

    /// <summary>The reason as <c>ErrorInfo.reason</c> carries it.</summary>
    public static string NameOf(ErrorReason reason) => ReasonNames[(int)reason];

    private static (StatusCode Code, ErrorReason Reason) Map(SidecarError error) => error switch
    {
        SidecarError.InvalidRequest => (StatusCode.InvalidArgument, ErrorReason.InvalidRequest),
        SidecarError.KeyRefNotFound => (StatusCode.NotFound, ErrorReason.KeyRefNotFound),
        SidecarError.KeyRefForbidden => (StatusCode.PermissionDenied, ErrorReason.KeyRefForbidden),
        SidecarError.ModelNotAllowed => (StatusCode.PermissionDenied, ErrorReason.ModelNotAllowed),
        SidecarError.KeyUnavailable => (StatusCode.FailedPrecondition, ErrorReason.KeyUnavailable),
        SidecarError.UpstreamAuth => (StatusCode.Unauthenticated, ErrorReason.UpstreamAuth),
        SidecarError.UpstreamRejected => (StatusCode.InvalidArgument, ErrorReason.UpstreamRejected),
        SidecarError.UpstreamNotFound => (StatusCode.NotFound, ErrorReason.UpstreamRejected),
        SidecarError.UpstreamRateLimited => (StatusCode.ResourceExhausted, ErrorReason.UpstreamRateLimited),
        SidecarError.LocalLimit => (StatusCode.ResourceExhausted, ErrorReason.LocalLimit),
        SidecarError.UpstreamUnavailable => (StatusCode.Unavailable, ErrorReason.UpstreamUnavailable),
        SidecarError.CircuitOpen => (StatusCode.Unavailable, ErrorReason.CircuitOpen),
        SidecarError.UpstreamStreamBroken => (StatusCode.Unavailable, ErrorReason.UpstreamStreamBroken),
        SidecarError.ShuttingDown => (StatusCode.Unavailable, ErrorReason.ShuttingDown),
        SidecarError.SharedLimit => (StatusCode.ResourceExhausted, ErrorReason.SharedLimit),
        SidecarError.BudgetExhausted => (StatusCode.ResourceExhausted, ErrorReason.BudgetExhausted),
        SidecarError.SharedStateUnavailable => (StatusCode.Unavailable, ErrorReason.SharedStateUnavailable),
        _ => (StatusCode.Internal, ErrorReason.Internal),
    };

    private static string[] ReadReasonNames()
    {
        var values = ErrorsReflection.Descriptor.EnumTypes.Single(e => e.ClrType == typeof(ErrorReason)).Values;
        var names = new string[values.Max(v => v.Number) + 1];
        foreach (var value in values)
        {
            names[value.Number] = value.Name;
        }

        return names;
    }

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
