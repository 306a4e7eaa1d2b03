using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sidecar.Resilience;

/// <summary>Registers the resilience layer: deadlines, retries, breakers and local limits.</summary>
internal static class ResilienceServiceCollectionExtensions
{
    public static IServiceCollection AddSidecarResilience(this IServiceCollection services)
    {
        services.TryAddSingleton<CallDeadlines>();
        services.TryAddSingleton<CircuitBreakers>();
        services.TryAddSingleton<LocalLimits>();
        services.TryAddSingleton<UpstreamResilience>();
        return services;
    }
}
