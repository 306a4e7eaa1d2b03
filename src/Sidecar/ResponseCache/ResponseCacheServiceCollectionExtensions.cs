using Microsoft.Extensions.Caching.Distributed;
using Sidecar.Configuration;

namespace Sidecar.ResponseCache;

/// <summary>Registers the response cache: HybridCache on a size-bounded memory cache, and Redis as its second level when configured.</summary>
internal static class ResponseCacheServiceCollectionExtensions
{
    public static IServiceCollection AddSidecarResponseCache(this IServiceCollection services, SidecarOptions options)
    {
        var store = options.ResponseCache;

        // Nothing else in the daemon uses the shared IMemoryCache: its size limit bounds the cache's first level
        // (HybridCache sizes each entry by its payload's bytes).
        services.AddMemoryCache(o => o.SizeLimit = store.MaxBytes);
        services.AddHybridCache(o =>
        {
            o.MaximumPayloadBytes = store.MaxEntryBytes;
            o.MaximumKeyLength = 512;
        });
        if (!string.IsNullOrWhiteSpace(options.Redis.Configuration))
        {
            services.AddSingleton<IDistributedCache, RedisDistributedCache>();
        }

        services.AddSingleton<ResponseCacheMetrics>();
        services.AddSingleton<CachedResponses>();
        return services;
    }
}
