using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sidecar.Configuration;
using Sidecar.Resilience;
using Sidecar.Shared;

namespace Sidecar.Health;

/// <summary>
/// Readiness: listeners bound, not stopping, and the keys directory (when configured) readable. Breaker
/// states and the Redis connection's state are details only. The check never throws (a health check that throws reads as unready, and the
/// framework's log of it is silenced in appsettings.json because it would also log every unready probe
/// during start and shutdown): a failure while gathering details is logged here, at most once a minute.
/// </summary>
internal sealed class ReadinessCheck(ReadinessState state, LiveOptions options, Func<IReadOnlyList<BreakerSnapshot>> breakers, TimeProvider time, ILogger logger, RedisConnection? redis = null) : IHealthCheck
{
    private static readonly TimeSpan LogEvery = TimeSpan.FromMinutes(1);

    private long _lastLogged = long.MinValue;

    [ActivatorUtilitiesConstructor]
    public ReadinessCheck(ReadinessState state, LiveOptions options, CircuitBreakers breakers, TimeProvider time, ILogger<ReadinessCheck> logger, RedisConnection redis)
        : this(state, options, breakers.Snapshot, time, logger, redis)
    {
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (state.IsStopping)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("shutting down"));
        }

        if (!state.IsStarted)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("starting"));
        }

        if (options.Current.KeysDirectory is { Length: > 0 } directory && !IsReadable(directory))
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("keys directory unreadable"));
        }

        // An open breaker refuses calls to one upstream, model or key, and the daemon stays ready (and
        // live) for the others. So does an unreachable Redis: its fail mode applies (docs/scaling.md).
        var details = Circuits();
        if (redis is { IsConfigured: true })
        {
            details["redis"] = redis.State.ToString().ToLowerInvariant();
        }

        return Task.FromResult(HealthCheckResult.Healthy("ready", details));
    }

    /// <summary>Breaker states by breaker identity; empty (and logged) if they cannot be read.</summary>
    private Dictionary<string, object> Circuits()
    {
        var details = new Dictionary<string, object>(StringComparer.Ordinal);
        try
        {
            foreach (var breaker in breakers())
            {
                // Identities are unique; should two ever meet, the later one wins rather than failing readiness.
                details[breaker.DetailName] = breaker.StateName;
            }
        }
        catch (Exception ex)
        {
            var now = time.GetTimestamp();
            var last = Interlocked.Read(ref _lastLogged);
            if (last == long.MinValue || time.GetElapsedTime(last, now) >= LogEvery)
            {
                Interlocked.Exchange(ref _lastLogged, now);
                HealthLog.CheckFailed(logger, ex, "circuit breaker details");
            }

            details.Clear();
        }

        return details;
    }

    private static bool IsReadable(string directory)
    {
        try
        {
            using var entries = Directory.EnumerateFileSystemEntries(directory).GetEnumerator();
            entries.MoveNext();
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
