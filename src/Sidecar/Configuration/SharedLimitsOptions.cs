namespace Sidecar.Configuration;

/// <summary>
/// Limits of one key reference enforced across every sidecar sharing the Redis,
/// <c>Sidecar:Keys:&lt;key_ref&gt;:SharedLimits</c>. Over a limit: RESOURCE_EXHAUSTED, reason <c>SHARED_LIMIT</c>, with a
/// <c>RetryInfo</c> until the window frees. Windows are the last 60 s, in one-second steps, on Redis' clock.
/// </summary>
public sealed class SharedLimitsOptions
{
    /// <summary>Calls a minute over all sidecars. Default 0: none.</summary>
    public int RequestsPerMinute { get; set; }

    /// <summary>Tokens a minute over all sidecars, counted from the usage the upstream reports when a call ends
    /// (calls already in flight may overshoot it). Default 0: none.</summary>
    public long TokensPerMinute { get; set; }
}
