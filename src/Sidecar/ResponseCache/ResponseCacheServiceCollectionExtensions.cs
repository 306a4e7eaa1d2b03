namespace Sidecar.ResponseCache;

/// <summary>Registers the response cache. It holds nothing until a key ref sets <c>Cache:Ttl</c>.</summary>
internal static class ResponseCacheServiceCollectionExtensions
{
    public static IServiceCollection AddSidecarResponseCache(this IServiceCollection services) =>
        services.AddSingleton<ResponseStore>().AddSingleton<ResponseCacheMetrics>().AddSingleton<CachedResponses>();
}
