using System.Threading.RateLimiting;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.Errors;
using Sidecar.Keys;

namespace Sidecar.Resilience;

/// <summary>
/// The daemon's own limits, checked before a call reaches the upstream: a global cap on relayed streams,
/// then per key reference a requests-per-minute token bucket and a concurrency limit with a bounded
/// queue. Per-key limiters are partitions of <see cref="PartitionedRateLimiter"/>, which drops a partition
/// after it has been idle for a few seconds: memory stays bounded however many key references come and go.
/// A partition is keyed by the key reference and its limits, so changed limits apply to the next call.
/// </summary>
internal sealed class LocalLimits : IDisposable
{
    /// <summary>The wait suggested to a caller refused for concurrency: a slot frees when any call ends.</summary>
    internal static readonly TimeSpan ConcurrencyRetryAfter = TimeSpan.FromSeconds(1);

    private readonly LiveOptions _options;
    private readonly SidecarMetrics _metrics;
    private readonly PartitionedRateLimiter<ConcurrencyKey> _concurrency;
    private readonly PartitionedRateLimiter<RateKey> _rate;
    private readonly object _streamsLock = new();
    private volatile StreamCap _streams = new(0, null);

    public LocalLimits(LiveOptions options, SidecarMetrics metrics)
    {
        _options = options;
        _metrics = metrics;
        _concurrency = PartitionedRateLimiter.Create<ConcurrencyKey, ConcurrencyKey>(static key => key.Permits == 0
            ? RateLimitPartition.GetNoLimiter(key)
            : RateLimitPartition.GetConcurrencyLimiter(key, static k => new ConcurrencyLimiterOptions
            {
                PermitLimit = k.Permits,
                QueueLimit = k.Queue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }));
        _rate = PartitionedRateLimiter.Create<RateKey, RateKey>(static key => key.PerMinute == 0
            ? RateLimitPartition.GetNoLimiter(key)
            : RateLimitPartition.GetTokenBucketLimiter(key, static k => TokenBucket(k.PerMinute)));
    }

    /// <summary>
    /// Takes a slot for one call, waiting in the key's queue when every slot is taken (for as long as the
    /// token allows). Dispose the result when the call ends. Throws <see cref="SidecarError.LocalLimit"/>
    /// when a limit refuses the call.
    /// </summary>
    public async ValueTask<IDisposable> AcquireAsync(ResolvedKey key, bool stream, CancellationToken cancellationToken)
    {
        var limits = For(key.KeyRef);
        RateLimitLease? streamLease = null;
        RateLimitLease? rateLease = null;
        try
        {
            if (stream && Streams() is { Limiter: { } cap } streams)
            {
                streamLease = cap.AttemptAcquire();
                if (!streamLease.IsAcquired)
                {
                    throw Refused("streams", key, $"the sidecar relays at most {streams.Limit} streams at once", ConcurrencyRetryAfter);
                }
            }

            rateLease = _rate.AttemptAcquire(limits.Rate);
            if (!rateLease.IsAcquired)
            {
                var wait = rateLease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(60.0 / limits.Rate.PerMinute);
                throw Refused("rate", key, $"key_ref '{key.KeyRef}' may make {limits.Rate.PerMinute} calls a minute", wait);
            }

            var slot = await _concurrency.AcquireAsync(limits.Concurrency, 1, cancellationToken).ConfigureAwait(false);
            if (!slot.IsAcquired)
            {
                slot.Dispose();
                throw Refused("concurrency", key, $"key_ref '{key.KeyRef}' has {limits.Concurrency.Permits} calls in flight and {limits.Concurrency.Queue} waiting", ConcurrencyRetryAfter);
            }

            rateLease.Dispose();
            return new Leases(slot, streamLease);
        }
        catch
        {
            streamLease?.Dispose();
            rateLease?.Dispose();
            throw;
        }
    }

    /// <summary>The limits in force for a key reference: its own where set, else the defaults.</summary>
    internal (ConcurrencyKey Concurrency, RateKey Rate) For(string keyRef)
    {
        var options = _options.Current;
        var defaults = options.Resilience.Limits;
        var own = options.Keys.TryGetValue(keyRef, out var configured) ? configured.Limits : null;
        var permits = own?.MaxConcurrentRequests ?? defaults.MaxConcurrentRequests ?? KeyLimitsOptions.DefaultMaxConcurrentRequests;
        var queue = own?.QueueLimit ?? defaults.QueueLimit ?? KeyLimitsOptions.DefaultQueueLimit;
        var perMinute = own?.RequestsPerMinute ?? defaults.RequestsPerMinute ?? 0;

        // Unlimited keys share one no-op partition.
        var concurrency = permits == 0 ? default : new ConcurrencyKey(keyRef, permits, queue);
        var rate = perMinute == 0 ? default : new RateKey(keyRef, perMinute);
        return (concurrency, rate);
    }

    /// <summary>A bucket of <paramref name="perMinute"/> tokens, refilled evenly: whole tokens per period, periods of at least a second.</summary>
    internal static TokenBucketRateLimiterOptions TokenBucket(int perMinute)
    {
        var perPeriod = (int)Math.Ceiling(perMinute / 60.0);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = TimeSpan.FromTicks(TimeSpan.FromMinutes(1).Ticks * perPeriod / perMinute),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }

    private StreamCap Streams()
    {
        var limit = _options.Current.Resilience.MaxConcurrentStreams;
        var current = _streams;
        if (current.Limit == limit)
        {
            return current;
        }

        lock (_streamsLock)
        {
            if (_streams.Limit != limit)
            {
                // Streams holding the old limiter's permits release them there; new ones count against the new cap.
                _streams = new StreamCap(limit, limit == 0 ? null : new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = limit, QueueLimit = 0 }));
            }

            return _streams;
        }
    }

    private SidecarException Refused(string limit, ResolvedKey key, string why, TimeSpan retryAfter)
    {
        _metrics.LocalLimitRefused(limit);
        return new SidecarException(
            SidecarError.LocalLimit,
            $"Refused by the sidecar's own limit: {why}. Retry later.",
            retryAfter: retryAfter,
            metadata: new Dictionary<string, string> { ["key_ref"] = key.KeyRef, ["limit"] = limit });
    }

    public void Dispose()
    {
        _concurrency.Dispose();
        _rate.Dispose();
        _streams.Limiter?.Dispose();
    }

    /// <summary>A concurrency partition: one per key reference and its limits.</summary>
    internal readonly record struct ConcurrencyKey(string? KeyRef, int Permits, int Queue);

    /// <summary>A rate partition: one per key reference and its limit.</summary>
    internal readonly record struct RateKey(string? KeyRef, int PerMinute);

    /// <summary>The global stream cap in force and its limiter (none when the cap is 0), swapped whole.</summary>
    private sealed record StreamCap(int Limit, ConcurrencyLimiter? Limiter);

    private sealed class Leases(RateLimitLease slot, RateLimitLease? stream) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                slot.Dispose();
                stream?.Dispose();
            }
        }
    }
}
