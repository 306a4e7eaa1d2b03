using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Sidecar.Configuration;
using Sidecar.Shared;

namespace Sidecar.ResponseCache;

/// <summary>
/// Where cached answers live: in this process first (a memory cache bounded by <c>Sidecar:ResponseCache:MaxBytes</c>,
/// each entry sized by its bytes), then on Redis when one is configured, as plain strings with a time to live, through
/// <see cref="RedisConnection"/> so every read and write is bounded by <c>Sidecar:Redis:OperationTimeout</c>. A Redis
/// failure reads as a miss and skips the write: the cache is best effort whatever the fail mode. Identical misses in
/// flight at once make one upstream call (<see cref="GetOrCreateAsync"/>). Our own code rather than HybridCache, whose
/// default JSON serializer is not trim- or AOT-safe (docs/scaling.md, "Response cache").
/// </summary>
internal sealed class ResponseStore : IDisposable
{
    private readonly MemoryCache _local;
    private readonly RedisConnection _redis;
    private readonly TimeProvider _time;
    private readonly int _maxEntryBytes;

    // One entry per distinct miss in flight, removed when it completes: bounded by the calls in flight.
    private readonly ConcurrentDictionary<string, Task<byte[]?>> _inFlight = new(StringComparer.Ordinal);

    public ResponseStore(LiveOptions options, RedisConnection redis, TimeProvider time)
    {
        var store = options.Current.ResponseCache;
        _local = new MemoryCache(new MemoryCacheOptions { SizeLimit = store.MaxBytes });
        _maxEntryBytes = store.MaxEntryBytes;
        _redis = redis;
        _time = time;
    }

    /// <summary>The payload kept under <paramref name="key"/>, from this process or from Redis; null when none.</summary>
    public async ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_local.TryGetValue(key, out Entry? entry) && entry is not null && entry.ExpiresAt > now)
        {
            return entry.Payload;
        }

        if (!_redis.IsConfigured)
        {
            return null;
        }

        var (ok, found) = await _redis.RunAsync("cache_get", db => db.StringGetWithExpiryAsync(key), cancellationToken).ConfigureAwait(false);
        if (!ok || !found.Value.HasValue)
        {
            return null;
        }

        var payload = (byte[])found.Value!;
        if (found.Expiry is { } left && left > TimeSpan.Zero)
        {
            Keep(key, payload, now + left);
        }

        return payload;
    }

    public async ValueTask SetAsync(string key, byte[] payload, TimeSpan ttl)
    {
        if (payload.Length > _maxEntryBytes)
        {
            return;
        }

        Keep(key, payload, _time.GetUtcNow() + ttl);
        if (_redis.IsConfigured)
        {
            await _redis.RunAsync("cache_set", db => db.StringSetAsync(key, payload, ttl), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The payload under <paramref name="key"/>, or the one <paramref name="create"/> makes, kept for <paramref name="ttl"/>.
    /// Callers missing the same key at once wait for the first one's call; should it fail, each makes its own.
    /// Created is true for the caller whose <paramref name="create"/> ran.
    /// </summary>
    public async Task<(byte[] Payload, bool Created)> GetOrCreateAsync(string key, TimeSpan ttl, Func<CancellationToken, Task<byte[]>> create, CancellationToken cancellationToken)
    {
        if (await GetAsync(key, cancellationToken).ConfigureAwait(false) is { } kept)
        {
            return (kept, false);
        }

        var mine = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flight = _inFlight.GetOrAdd(key, mine.Task);
        if (flight != mine.Task && await flight.WaitAsync(cancellationToken).ConfigureAwait(false) is { } shared)
        {
            return (shared, false);
        }

        try
        {
            var payload = await create(cancellationToken).ConfigureAwait(false);
            await SetAsync(key, payload, ttl).ConfigureAwait(false);
            mine.TrySetResult(payload);
            return (payload, true);
        }
        finally
        {
            // Failed or cancelled: those waiting make their own call (a null result says so).
            mine.TrySetResult(null);
            _inFlight.TryRemove(KeyValuePair.Create(key, mine.Task));
        }
    }

    public void Dispose() => _local.Dispose();

    private void Keep(string key, byte[] payload, DateTimeOffset expiresAt)
    {
        if (payload.Length > _maxEntryBytes)
        {
            return;
        }

        // The memory cache's own clock only sweeps; whether an entry is live is decided on TimeProvider's.
        _local.Set(key, new Entry(payload, expiresAt), new MemoryCacheEntryOptions { Size = payload.Length, AbsoluteExpiration = expiresAt });
    }

    private sealed record Entry(byte[] Payload, DateTimeOffset ExpiresAt);
}
