namespace Sidecar.Client;

/// <summary>Options of <see cref="SidecarChannel.Create(string?, SidecarChannelOptions?)"/>.</summary>
public sealed class SidecarChannelOptions
{
    /// <summary>The default of <see cref="DefaultDeadline"/>: two minutes.</summary>
    public static readonly TimeSpan DefaultDefaultDeadline = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The deadline given to every call that sets none. Default: 2 minutes.
    /// <see langword="null"/> or <see cref="Timeout.InfiniteTimeSpan"/>: calls without a deadline wait forever.
    /// </summary>
    public TimeSpan? DefaultDeadline { get; set; } = DefaultDefaultDeadline;

    /// <summary>
    /// The largest message the client accepts, in bytes. Default: <see langword="null"/>, gRPC's 4 MiB.
    /// </summary>
    public int? MaxReceiveMessageSize { get; set; }

    /// <summary>
    /// When the caller's <see cref="CancellationToken"/> cancels a call, throw an
    /// <see cref="OperationCanceledException"/> (as the rest of .NET does) rather than gRPC's
    /// <c>RpcException(StatusCode.Cancelled)</c>. Default: <see langword="true"/>. A deadline that
    /// passes is not a cancellation: it stays an <c>RpcException(DeadlineExceeded)</c>.
    /// </summary>
    public bool ThrowOperationCanceledOnCancellation { get; set; } = true;
}
