using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sidecar.Configuration;
using Sidecar.Resilience;

namespace Sidecar.Health;

/// <summary>Liveness: the process answers. Never depends on an upstream, so an outage never restarts pods.</summary>
internal sealed class LivenessCheck : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy("process answers"));
}
