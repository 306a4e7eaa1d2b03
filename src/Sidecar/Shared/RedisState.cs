namespace Sidecar.Shared;

/// <summary>Whether the last Redis operation worked; a change is logged once.</summary>
internal enum RedisState
{
    /// <summary>No Redis is configured.</summary>
    Off,

    /// <summary>Configured, no operation has run yet.</summary>
    Connecting,

    Up,

    Down,
}
