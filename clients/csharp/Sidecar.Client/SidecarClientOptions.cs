namespace Sidecar.Client;

/// <summary>
/// Options of <see cref="SidecarClient"/> (and of <c>AddSidecarClient</c>, which binds them from
/// configuration, e.g. the section <c>"Sidecar"</c>).
/// </summary>
public sealed class SidecarClientOptions
{
    /// <summary>The socket path. Default: <see langword="null"/>: <c>SIDECAR_SOCKET</c>, else <see cref="SidecarChannel.DefaultSocketPath"/>.</summary>
    public string? SocketPath { get; set; }

    /// <summary>The key reference of requests that name none (e.g. <c>"team-a"</c>). Default: <see langword="null"/>: every request names its own.</summary>
    public string? KeyRef { get; set; }

    /// <summary>The model of requests that name none (e.g. <c>"gpt-4o-mini"</c>). Default: <see langword="null"/>: every request names its own.</summary>
    public string? Model { get; set; }

    /// <summary>The deadline of calls that set none. Default: 2 minutes; <see langword="null"/> or <see cref="Timeout.InfiniteTimeSpan"/>: none.</summary>
    public TimeSpan? DefaultDeadline { get; set; } = SidecarChannelOptions.DefaultDefaultDeadline;

    /// <summary>The largest message the client accepts, in bytes. Default: <see langword="null"/>, gRPC's 4 MiB.</summary>
    public int? MaxReceiveMessageSize { get; set; }

    /// <summary>Caller cancellation surfaces as <see cref="OperationCanceledException"/>. Default: <see langword="true"/>. See <see cref="SidecarChannelOptions.ThrowOperationCanceledOnCancellation"/>.</summary>
    public bool ThrowOperationCanceledOnCancellation { get; set; } = true;

    /// <summary>Every problem of these options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (SocketPath is { } path && string.IsNullOrWhiteSpace(path))
        {
            problems.Add("SocketPath must not be blank (leave it unset for SIDECAR_SOCKET or the default path).");
        }
        if (KeyRef is { } keyRef && string.IsNullOrWhiteSpace(keyRef))
        {
            problems.Add("KeyRef must not be blank (leave it unset when every request names its key reference).");
        }
        if (Model is { } model && string.IsNullOrWhiteSpace(model))
        {
            problems.Add("Model must not be blank (leave it unset when every request names its model).");
        }
        if (DefaultDeadline is { } deadline && deadline <= TimeSpan.Zero && deadline != Timeout.InfiniteTimeSpan)
        {
            problems.Add($"DefaultDeadline must be positive (or unset for none); it is {deadline}.");
        }
        if (MaxReceiveMessageSize is <= 0)
        {
            problems.Add($"MaxReceiveMessageSize must be positive; it is {MaxReceiveMessageSize}.");
        }
        return problems;
    }

    internal SidecarChannelOptions ToChannelOptions() => new()
    {
        DefaultDeadline = DefaultDeadline,
        MaxReceiveMessageSize = MaxReceiveMessageSize,
        ThrowOperationCanceledOnCancellation = ThrowOperationCanceledOnCancellation,
    };
}
