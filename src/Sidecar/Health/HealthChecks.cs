using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sidecar.Configuration;
using Sidecar.Resilience;

namespace Sidecar.Health;

/// <summary>The names probes and agents ask for, and the tags that decide them.</summary>
internal static class HealthNames
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    /// <summary>gRPC health service names that mean "the process answers".</summary>
    public static readonly string[] LiveServices = ["", "liveness"];

    /// <summary>gRPC health service names that mean "ready to take calls".</summary>
    public static readonly string[] ReadyServices = ["readiness", "sidecar.v1.Completions"];
}

/// <summary>Liveness: the process answers. Never depends on an upstream, so an outage never restarts pods.</summary>
internal sealed class LivenessCheck : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy("process answers"));
}

/// <summary>Readiness: listeners bound, not stopping, and the keys directory (when configured) readable.</summary>
internal sealed class ReadinessCheck(ReadinessState state, LiveOptions options, CircuitBreakers breakers) : IHealthCheck
{
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

        // Breaker states are details only: an open breaker refuses calls to one upstream or key, and the
        // daemon stays ready (and live) for the others.
        var circuits = breakers.Snapshot().ToDictionary(b => $"circuit.{b.Scope}.{b.Name}", b => (object)b.StateName);
        return Task.FromResult(HealthCheckResult.Healthy("ready", circuits));
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
