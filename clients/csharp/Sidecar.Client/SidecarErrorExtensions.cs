using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;

namespace Sidecar.Client;

/// <summary>
/// Reads the <c>google.rpc.Status</c> details the daemon sends with an error (the
/// <c>grpc-status-details-bin</c> trailer).
/// </summary>
public static class SidecarErrorExtensions
{
    /// <summary>The <c>google.rpc.ErrorInfo.reason</c>, e.g. <see cref="SidecarErrorReasons.KeyRefNotFound"/>; <see langword="null"/> when the error carries none.</summary>
    public static string? GetErrorReason(this RpcException exception) => exception.GetErrorInfo()?.Reason;

    /// <summary>The <c>google.rpc.ErrorInfo</c> (reason, domain, metadata), or <see langword="null"/>.</summary>
    public static ErrorInfo? GetErrorInfo(this RpcException exception) => exception.TryGetRpcStatus()?.GetDetail<ErrorInfo>();

    /// <summary>How long to wait before retrying (<c>google.rpc.RetryInfo</c>); <see langword="null"/> when retrying does not help.</summary>
    public static TimeSpan? GetRetryDelay(this RpcException exception) =>
        exception.TryGetRpcStatus()?.GetDetail<RetryInfo>()?.RetryDelay?.ToTimeSpan();

    /// <summary>The <c>google.rpc.BadRequest</c> field violations (INVALID_ARGUMENT); empty when there are none.</summary>
    public static IReadOnlyList<BadRequest.Types.FieldViolation> GetFieldViolations(this RpcException exception) =>
        exception.TryGetRpcStatus()?.GetDetail<BadRequest>()?.FieldViolations ?? (IReadOnlyList<BadRequest.Types.FieldViolation>)[];

    private static Google.Rpc.Status? TryGetRpcStatus(this RpcException exception)
    {
        try
        {
            return exception.GetRpcStatus();
        }
        catch (InvalidProtocolBufferException)
        {
            return null; // a malformed trailer: the status code alone still tells what happened
        }
    }
}
