using Microsoft.Extensions.Caching.Memory;
using OpenAI;
using Sidecar.Caching;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.Keys;

namespace Sidecar.Clients;

/// <summary>
/// One <see cref="KeyEntry"/> per key ref: its newest upstream client (one per secret fingerprint and
/// endpoint; a rotation replaces it at once) and the per-key state of the limits and breakers. Bounded by
/// <see cref="ClientCacheOptions.MaxEntries"/>, aged by sliding and absolute expiration swept on our
/// <see cref="TimeProvider"/>, and a client is created at most once however many requests miss together.
/// Keyed by the key ref alone, so no second map has to remember which client is a key ref's newest.
/// A reload that removes a configured key ref drops its entry at once.
/// </summary>
internal sealed class ClientCache : IDisposable
{
    private readonly BoundedCache<KeyEntry> _entries;
    private readonly IOpenAIClientFactory _factory;
    private readonly SidecarMetrics _metrics;
    private readonly LiveOptions _options;
    private HashSet<string> _configured;

    public ClientCache(IOpenAIClientFactory factory, LiveOptions options, TimeProvider time, SidecarMetrics metrics)
    {
        _factory = factory;
        _metrics = metrics;
        _options = options;
        _configured = Configured(options.Current);
        options.Changed += OnConfigurationChanged;
        var settings = options.Current.ClientCache;
        _entries = new BoundedCache<KeyEntry>(
            time,
            settings.MaxEntries,
            settings.SlidingExpiration,
            settings.AbsoluteExpiration,
            settings.ScanFrequency,
            StringComparer.Ordinal,
            (_, entry, reason) =>
            {
                if (entry.Client is not null)
                {
                    _metrics.CacheEvicted(reason);
                }
            });
        _metrics.ObserveCacheEntries(() => _entries.Count);
    }

    /// <summary>How many key refs have an entry now (at most <see cref="ClientCacheOptions.MaxEntries"/>).</summary>
    public int Count => _entries.Count;

    /// <summary>Every entry held now, for gauges and readiness details; reading them does not keep them alive.</summary>
    public IEnumerable<KeyEntry> Entries => _entries.Values;

    /// <summary>The key ref's entry, made on first use.</summary>
    public KeyEntry Entry(ResolvedKey key) => _entries.GetOrAdd(key.KeyRef, 0, static (name, _) => new KeyEntry(name));

    /// <summary>The key ref's entry when it has one; never makes one.</summary>
    public KeyEntry? Peek(ResolvedKey key) => _entries.TryGet(key.KeyRef, out var entry) ? entry : null;

    public OpenAIClient GetOrCreate(ResolvedKey key)
    {
        var entry = Entry(key);
        if (entry.Client is { } cached && cached.CacheKey == key.CacheKey)
        {
            _metrics.CacheHit();
            return cached.Value;
        }

        _metrics.CacheMiss();
        lock (entry)
        {
            var current = entry.Client;
            if (current is not null && current.CacheKey == key.CacheKey)
            {
                return current.Value;
            }

            var client = _factory.Create(key);
            _metrics.CacheCreated();
            if (current is null || key.Generation > current.Generation)
            {
                // A rotated secret (or moved endpoint) retires the key ref's previous client at once.
                entry.Client = new KeyEntry.CachedClient(key.CacheKey, key.Generation, client);
                if (current is not null)
                {
                    _metrics.CacheEvicted(EvictionReason.Replaced);
                }
            }

            // Otherwise the call resolved its key before the rotation the entry already follows: it gets
            // a client of its own for this once, and the entry keeps the newer one.
            return client;
        }
    }

    public void Dispose()
    {
        _options.Changed -= OnConfigurationChanged;
        _entries.Dispose();
    }

    // The entry of a key ref the configuration no longer names would keep its client (and the secret in it),
    // limiters and key breaker until it expired, up to ClientCache:AbsoluteExpiration. Keys-directory key
    // refs were never in the configuration and stay; a call in flight finishes on the client it holds.
    private void OnConfigurationChanged(SidecarOptions next)
    {
        var previous = Interlocked.Exchange(ref _configured, Configured(next));
        previous.ExceptWith(next.Keys.Keys);
        if (previous.Count > 0)
        {
            _entries.RemoveWhere(entry => previous.Contains(entry.KeyRef));
        }
    }

    private static HashSet<string> Configured(SidecarOptions options) => new(options.Keys.Keys, StringComparer.OrdinalIgnoreCase);
}
