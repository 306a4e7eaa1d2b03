using Microsoft.Extensions.Caching.Distributed;
using Sidecar.Shared;
using StackExchange.Redis;

namespace Sidecar.ResponseCache;

/// <summary>
/// The response cache's second level: plain Redis strings with a time to live, through the shared
/// <see cref="RedisConnection"/>, so every read and write is bounded by <c>Sidecar:Redis:OperationTimeout</c>. A
/// failure reads as a miss and skips the write: the cache is best effort whatever the fail mode.
/// </summary>
internal sealed class RedisDistributedCache(RedisConnection redis, TimeProvider time) : IDistributedCache
{
    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        var (ok, value) = await redis.RunAsync("cache_get", db => db.StringGetAsync(key), token).ConfigureAwait(false);
        return ok && value.HasValue ? (byte[]?)value : null;
    }

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        var ttl = options.AbsoluteExpirationRelativeToNow
            ?? (options.AbsoluteExpiration is { } at ? at - time.GetUtcNow() : (TimeSpan?)null)
            ?? options.SlidingExpiration;
        if (ttl is not { } expiry || expiry <= TimeSpan.Zero)
        {
            return;
        }

        await redis.RunAsync("cache_set", db => db.StringSetAsync(key, value, expiry), token).ConfigureAwait(false);
    }

    public async Task RemoveAsync(string key, CancellationToken token = default) =>
        await redis.RunAsync("cache_remove", db => db.KeyDeleteAsync(key), token).ConfigureAwait(false);

    /// <summary>Entries have a fixed lifetime: nothing slides.</summary>
    public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

    // HybridCache only calls the asynchronous methods; a blocking Redis call has no place on a request thread.
    public byte[]? Get(string key) => throw new NotSupportedException("Use GetAsync.");

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => throw new NotSupportedException("Use SetAsync.");

    public void Refresh(string key)
    {
    }

    public void Remove(string key) => throw new NotSupportedException("Use RemoveAsync.");
}
