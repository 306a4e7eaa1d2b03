namespace Sidecar.Shared;

/// <summary>Registers shared state on Redis. With no Redis configured the services exist and do nothing.</summary>
internal static class SharedServiceCollectionExtensions
{
    public static IServiceCollection AddSidecarShared(this IServiceCollection services)
    {
        services.AddSingleton<SharedMetrics>();
        services.AddSingleton<RedisConnection>();
        services.AddHostedService(sp => sp.GetRequiredService<RedisConnection>());
        services.AddSingleton<SharedLimits>();
        return services;
    }
}
