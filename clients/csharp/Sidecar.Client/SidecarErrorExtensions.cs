using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Sidecar.V1;

namespace Sidecar.Client;

/// <summary>
/// Reads the <c>google.rpc.Status</c> details the daemon sends with an error (the
/// <c>grpc-status-details-bin</c> trailer).
/// </summary>
public static class SidecarErrorExtensions
{
    /// <summary>The <c>google.rpc.ErrorInfo.reason</c>, e.g. <see cref="SidecarErrorReasons.KeyRefNotFound"/>; <see langword="null"/> when the error carries none.</summary>
    public static string? GetErrorReason(this RpcException exception) => exception.GetErrorInfo()?.Reason;

    /// <summary>
    /// The <c>google.rpc.ErrorInfo.reason</c> as the contract's enum, to switch over; <see langword="null"/>
    /// when the error carries none, or one this version of the client does not know (act on the status code).
    /// </summary>
    public static ErrorReason? GetErrorReasonValue(this RpcException exception) =>
        SidecarErrorReasons.TryParse(exception.GetErrorReason(), out var reason) ? reason : null;

    /// <summary>
    /// Whether the same call is worth retrying automatically after <see cref="GetRetryDelay"/>: the
    /// daemon attached a <c>google.rpc.RetryInfo</c>, and the reason is not
    /// <see cref="SidecarErrorReasons.BudgetExhausted"/> (whose retry delay says when the key
    /// reference's daily or monthly budget resets, which may be hours away).
    /// </summary>
    public static bool IsRetryable(this RpcException exception) =>
        exception.GetRetryDelay() is not null && exception.GetErrorReason() != SidecarErrorReasons.BudgetExhausted;

    /// <summary>The <c>google.rpc.ErrorInfo</c> (reason, domain, metadata), or <see langword="null"/>.</summary>
    public static ErrorInfo? GetErrorInfo(this RpcException exception) => exception.TryGetRpcStatus()?.GetDetail<ErrorInfo>();

    /// <summary>
    /// How long to wait before retrying (<c>google.rpc.RetryInfo</c>); <see langword="null"/> when
    /// retrying does not help. With <see cref="SidecarErrorReasons.BudgetExhausted"/> it is the time
    /// until the budget resets (see <see cref="IsRetryable"/>).
    /// </summary>
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
