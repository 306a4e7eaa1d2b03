using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using OpenAI;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.Keys;

namespace Sidecar.Clients;

/// <summary>
/// The upstream clients, one per (key_ref, secret fingerprint, endpoint). Bounded by
/// <see cref="ClientCacheOptions.MaxEntries"/>, aged by sliding and absolute expiration on our
/// <see cref="TimeProvider"/>, and created at most once per key however many requests miss together.
/// </summary>
internal sealed class ClientCache : IDisposable
{
    // Creating a client takes microseconds, so a short lock per stripe is the cheapest single flight.
    private const int LockStripes = 64;

    private readonly MemoryCache _cache;
    private readonly object[] _locks;
    private readonly IOpenAIClientFactory _factory;
    private readonly SidecarMetrics _metrics;
    private readonly ClientCacheOptions _options;
    private readonly PostEvictionCallbackRegistration _onEvicted;

    // key_ref → the cache key of its newest client, so a rotation retires the old client at once.
    private readonly ConcurrentDictionary<string, string> _newest = new(StringComparer.Ordinal);

    public ClientCache(IOpenAIClientFactory factory, IOptions<SidecarOptions> options, TimeProvider time, SidecarMetrics metrics)
    {
        _factory = factory;
        _metrics = metrics;
        _options = options.Value.ClientCache;
        _cache = new MemoryCache(new MemoryCacheOptions
        {
            Clock = new TimeProviderClock(time),
            SizeLimit = _options.MaxEntries,
            ExpirationScanFrequency = _options.ScanFrequency,
        });
        _locks = Enumerable.Range(0, LockStripes).Select(_ => new object()).ToArray();
        _onEvicted = new PostEvictionCallbackRegistration { EvictionCallback = OnEvicted };
        _metrics.ObserveCacheEntries(() => _cache.Count);
    }

    /// <summary>How many clients are cached now.</summary>
    public int Count => _cache.Count;

    public OpenAIClient GetOrCreate(ResolvedKey key)
    {
        if (_cache.TryGetValue(key.CacheKey, out CachedClient? cached))
        {
            _metrics.CacheHit();
            return cached!.Client;
        }

        _metrics.CacheMiss();
        string? previous;
        lock (_locks[(uint)key.CacheKey.GetHashCode() % LockStripes])
        {
            if (_cache.TryGetValue(key.CacheKey, out cached))
            {
                return cached!.Client;
            }

            cached = new CachedClient(key.KeyRef, key.CacheKey, _factory.Create(key));
            _metrics.CacheCreated();

            // Recorded before the entry is committed: an eviction callback (which runs only after the
            // commit, possibly at once when the cache is full) then always finds the record to remove.
            previous = Record(key);
            using (var entry = _cache.CreateEntry(key.CacheKey))
            {
                entry.Value = cached;
                entry.Size = 1;
                entry.SlidingExpiration = _options.SlidingExpiration;
                entry.AbsoluteExpirationRelativeToNow = _options.AbsoluteExpiration;
                entry.PostEvictionCallbacks.Add(_onEvicted);
            }
        }

        // A rotated secret (or moved endpoint) retires the key ref's previous client at once.
        if (previous is not null && previous != key.CacheKey)
        {
            _cache.Remove(previous);
        }

        return cached.Client;
    }

    /// <summary>Makes <paramref name="key"/> the key ref's newest client; returns the one it replaces.</summary>
    private string? Record(ResolvedKey key)
    {
        string? previous = null;
        _newest.AddOrUpdate(
            key.KeyRef,
            key.CacheKey,
            (_, old) =>
            {
                previous = old;
                return key.CacheKey;
            });
        return previous;
    }

    private void OnEvicted(object key, object? value, EvictionReason reason, object? state)
    {
        if (value is CachedClient client)
        {
            _newest.TryRemove(KeyValuePair.Create(client.KeyRef, client.CacheKey));
        }

        _metrics.CacheEvicted(reason);
    }

    public void Dispose() => _cache.Dispose();

    private sealed record CachedClient(string KeyRef, string CacheKey, OpenAIClient Client);
}
