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
}
