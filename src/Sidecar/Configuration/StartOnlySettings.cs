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
    // Grouped by what reads them. Redis is one setting, for the whole section: it is connected once, and
    // key refs' shared limits are validated against it, so shared limits added in the same change as a
    // Redis would pass validation and never be enforced.
    private static readonly StartOnlySetting[] Settings =
    [
        new(o => o.Socket), new(o => o.SocketMode), new(o => o.SocketGroup), new(o => o.AllowWritableSocketFolder),
        new(o => o.HealthPort), new(o => o.HttpPort), new(o => o.HealthAddress),
        new(o => o.PortMaxConnections), new(o => o.PortMaxRequests), new(o => o.OpenAI.Socket), new(o => o.OpenAI.Port),
        new(o => o.ShutdownGrace), new(o => o.Limits.MaxRequestBytes),
        new(o => o.ClientCache.MaxEntries), new(o => o.ClientCache.SlidingExpiration),
        new(o => o.ClientCache.AbsoluteExpiration), new(o => o.ClientCache.ScanFrequency),
        new(o => o.ResponseCache.MaxBytes), new(o => o.ResponseCache.MaxEntryBytes),
        new(o => o.Upstream.PooledConnectionLifetime), new(o => o.Upstream.PooledConnectionIdleTimeout), new(o => o.Upstream.ConnectTimeout),
        new(o => o.Upstream.MaxResponseBytes), new(o => o.Upstream.MaxEventBytes), new(o => o.Upstream.ForwardTraceStateAndBaggage),
        StartOnlySetting.Whole("Redis", o => (o.Redis.Configuration, o.Redis.CaFile, o.Redis.FailMode, o.Redis.OperationTimeout, o.Redis.LocalBudgetShare)),
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
