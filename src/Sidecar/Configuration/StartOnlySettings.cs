namespace Sidecar.Configuration;

/// <summary>
/// The settings read once, at start, by what they build: listeners and the socket files
/// (<c>Hosting/SidecarApp</c>, <c>SocketFileLifecycle</c>), the host's stop timeout and the shutdown
/// coordinator, gRPC's receive cap (twice <c>Limits:MaxRequestBytes</c>), the sizes of the client cache
/// and of the caches bounded like it (<c>ClientCache</c>, <c>KeyResolver</c>, <c>ModelCatalog</c>,
/// <c>CircuitBreakers</c>), the response cache's memory (<c>ResponseStore</c>), the upstream connection
/// pool (<c>UpstreamHttpPool</c>) and the Redis connection (<c>RedisConnection</c>). Applied on a reload,
/// a change to one would be logged as taken while the old value stays in force; <see cref="LiveOptions"/>
/// refuses such a reload as a whole instead (docs/design.md, "Configuration").
/// </summary>
internal static class StartOnlySettings
{
    // One row a setting, by its configuration path. Redis is one row, for the whole section: it is
    // connected once, and key refs' shared limits are validated against it, so shared limits added in
    // the same change as a Redis would pass validation and never be enforced.
    private static readonly (string Name, Func<SidecarOptions, object?> Value)[] Settings =
    [
        ("Sidecar:Socket", o => o.Socket),
        ("Sidecar:SocketMode", o => o.SocketMode),
        ("Sidecar:SocketGroup", o => o.SocketGroup),
        ("Sidecar:AllowWritableSocketFolder", o => o.AllowWritableSocketFolder),
        ("Sidecar:HealthPort", o => o.HealthPort),
        ("Sidecar:HttpPort", o => o.HttpPort),
        ("Sidecar:HealthAddress", o => o.HealthAddress),
        ("Sidecar:PortMaxConnections", o => o.PortMaxConnections),
        ("Sidecar:PortMaxRequests", o => o.PortMaxRequests),
        ("Sidecar:OpenAI:Socket", o => o.OpenAI.Socket),
        ("Sidecar:OpenAI:Port", o => o.OpenAI.Port),
        ("Sidecar:ShutdownGrace", o => o.ShutdownGrace),
        ("Sidecar:Limits:MaxRequestBytes", o => o.Limits.MaxRequestBytes),
        ("Sidecar:ClientCache:MaxEntries", o => o.ClientCache.MaxEntries),
        ("Sidecar:ClientCache:SlidingExpiration", o => o.ClientCache.SlidingExpiration),
        ("Sidecar:ClientCache:AbsoluteExpiration", o => o.ClientCache.AbsoluteExpiration),
        ("Sidecar:ClientCache:ScanFrequency", o => o.ClientCache.ScanFrequency),
        ("Sidecar:ResponseCache:MaxBytes", o => o.ResponseCache.MaxBytes),
        ("Sidecar:ResponseCache:MaxEntryBytes", o => o.ResponseCache.MaxEntryBytes),
        ("Sidecar:Upstream:PooledConnectionLifetime", o => o.Upstream.PooledConnectionLifetime),
        ("Sidecar:Upstream:PooledConnectionIdleTimeout", o => o.Upstream.PooledConnectionIdleTimeout),
        ("Sidecar:Upstream:ConnectTimeout", o => o.Upstream.ConnectTimeout),
        ("Sidecar:Upstream:MaxResponseBytes", o => o.Upstream.MaxResponseBytes),
        ("Sidecar:Upstream:MaxEventBytes", o => o.Upstream.MaxEventBytes),
        ("Sidecar:Upstream:ForwardTraceStateAndBaggage", o => o.Upstream.ForwardTraceStateAndBaggage),
        ("Sidecar:Redis", o => (o.Redis.Configuration, o.Redis.FailMode, o.Redis.OperationTimeout, o.Redis.LocalBudgetShare)),
    ];

    /// <summary>The configuration paths of the start-only settings that differ between the two, in a fixed order.</summary>
    public static IReadOnlyList<string> Changed(SidecarOptions current, SidecarOptions next) =>
        [.. Settings.Where(s => !Equals(s.Value(current), s.Value(next))).Select(s => s.Name)];

    /// <summary>
    /// Why a reload from <paramref name="current"/> to <paramref name="next"/> is refused, naming every
    /// start-only setting it changes (never a value: a Redis configuration holds a password); null when it
    /// changes none.
    /// </summary>
    public static string? Refusal(SidecarOptions current, SidecarOptions next) => Changed(current, next) switch
    {
        [] => null,
        [var one] => $"{one} is read at start only; restart the sidecar to apply a change to it (nothing was changed)",
        var many => $"{string.Join(", ", many)} are read at start only; restart the sidecar to apply a change to them (nothing was changed)",
    };
}
