using System.Threading.RateLimiting;
using Sidecar.Clients;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.Errors;
using Sidecar.Keys;

namespace Sidecar.Resilience;

/// <summary>
/// The daemon's own limits, checked before a call reaches the upstream: a global cap on relayed streams,
/// then per key reference a requests-per-minute token bucket and a concurrency limit with a bounded
/// queue. A key ref's limiters live in its <see cref="KeyEntry"/> in the <see cref="ClientCache"/>, so
/// there are never more of them than <c>ClientCache:MaxEntries</c>, however many key refs come and go,
/// and they leave with the entry. They are built for the limits in force: changed limits apply to the
/// next call (a limiter whose own limit did not change is kept, with its calls in flight).
/// </summary>
internal sealed class LocalLimits : IDisposable
{
    /// <summary>The wait suggested to a caller refused for concurrency: a slot frees when any call ends.</summary>
    internal static readonly TimeSpan ConcurrencyRetryAfter = SidecarErrors.DefaultRetryAfter;

    private static readonly KeyEntrySlot<KeyLimiters> Slot = new();

    private readonly LiveOptions _options;
    private readonly ClientCache _clients;
    private readonly TimeProvider _time;
    private readonly SidecarMetrics _metrics;
    private readonly object _streamsLock = new();
    private volatile StreamCap _streams = new(0, null);

    public LocalLimits(LiveOptions options, ClientCache clients, TimeProvider time, SidecarMetrics metrics)
    {
        _options = options;
        _clients = clients;
        _time = time;
        _metrics = metrics;
    }

    /// <summary>
    /// Takes a slot for one call, waiting in the key's queue when every slot is taken (for as long as the
    /// token allows). Dispose the result when the call ends. Throws <see cref="SidecarError.LocalLimit"/>
    /// when a limit refuses the call.
    /// </summary>
    public async ValueTask<IDisposable> AcquireAsync(ResolvedKey key, bool stream, CancellationToken cancellationToken)
    {
        var limits = For(key.KeyRef);
        var limiters = Limiters(key, limits);
        RateLimitLease? streamLease = null;
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

            if (limiters?.Rate is { } bucket && !bucket.TryTake(out var wait))
            {
                throw Refused("rate", key, $"key_ref '{key.KeyRef}' may make {bucket.PerMinute} calls a minute", wait);
            }

            RateLimitLease? slot = null;
            if (limiters?.Concurrency is { } concurrency)
            {
                slot = await concurrency.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
                if (!slot.IsAcquired)
                {
                    slot.Dispose();
                    throw Refused("concurrency", key, $"key_ref '{key.KeyRef}' has {limits.Permits} calls in flight and {limits.Queue} waiting", ConcurrencyRetryAfter);
                }
            }

            return new Leases(slot, streamLease);
        }
        catch
        {
            streamLease?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether the key ref's own limits would make a call wait or refuse it now: every concurrency slot
    /// taken, or no rate token left. Reads only. The router skips such a pool member while another has room.
    /// </summary>
    public bool IsFull(ResolvedKey key)
    {
        if (_clients.Peek(key)?.Peek(Slot) is not { } limiters)
        {
            return false;
        }

        return limiters.Concurrency?.GetStatistics() is { CurrentAvailablePermits: 0 }
            || (limiters.Rate is { } rate && !rate.HasToken());
    }

    /// <summary>The limits in force for a key reference: its own where set, else the defaults.</summary>
    internal KeyLimits For(string keyRef)
    {
        var options = _options.Current;
        var defaults = options.Resilience.Limits;
        var own = options.Keys.TryGetValue(keyRef, out var configured) ? configured.Limits : null;
        var permits = own?.MaxConcurrentRequests ?? defaults.MaxConcurrentRequests ?? KeyLimitsOptions.DefaultMaxConcurrentRequests;
        var queue = own?.QueueLimit ?? defaults.QueueLimit ?? KeyLimitsOptions.DefaultQueueLimit;
        var perMinute = own?.RequestsPerMinute ?? defaults.RequestsPerMinute ?? 0;

        return new KeyLimits(permits, permits == 0 ? 0 : queue, perMinute);
    }

    /// <summary>How many key refs hold limiters now (at most <c>ClientCache:MaxEntries</c>).</summary>
    internal int KeysWithLimiters => _clients.Entries.Count(e => e.Peek(Slot) is not null);

    /// <summary>The key ref's limiters for <paramref name="limits"/>; null when it has no limit (nothing to keep).</summary>
    private KeyLimiters? Limiters(ResolvedKey key, KeyLimits limits)
    {
        if (limits.Permits == 0 && limits.PerMinute == 0)
        {
            return null;
        }

        var entry = _clients.Entry(key);
        if (entry.Peek(Slot) is { } current && current.Limits == limits)
        {
            return current;
        }

        return entry.Update(Slot, (limits, _time), static (current, wanted) =>
            current is not null && current.Limits == wanted.limits ? current : KeyLimiters.For(wanted.limits, current, wanted._time));
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
        return SidecarErrors.LocalLimit(key.KeyRef, limit, why, retryAfter);
    }

    public void Dispose() => _streams.Limiter?.Dispose();

    /// <summary>
    /// A key ref's limiters, built for <see cref="Limits"/>. Neither has a timer, so a dropped one needs no
    /// disposing; calls holding its slots release them to it and it is garbage after.
    /// </summary>
    private sealed record KeyLimiters(KeyLimits Limits, ConcurrencyLimiter? Concurrency, TokenBucket? Rate)
    {
        /// <summary>Limiters for <paramref name="limits"/>, keeping those of <paramref name="previous"/> whose limit did not change.</summary>
        public static KeyLimiters For(KeyLimits limits, KeyLimiters? previous, TimeProvider time)
        {
            var concurrency = limits.Permits == 0
                ? null
                : previous is { Concurrency: { } c } && previous.Limits.Permits == limits.Permits && previous.Limits.Queue == limits.Queue
                    ? c
                    : new ConcurrencyLimiter(new ConcurrencyLimiterOptions
                    {
                        PermitLimit = limits.Permits,
                        QueueLimit = limits.Queue,
                        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                    });
            var rate = limits.PerMinute == 0
                ? null
                : previous is { Rate: { } r } && r.PerMinute == limits.PerMinute ? r : new TokenBucket(limits.PerMinute, time);
            return new KeyLimiters(limits, concurrency, rate);
        }
    }

    /// <summary>The global stream cap in force and its limiter (none when the cap is 0), swapped whole.</summary>
    private sealed record StreamCap(int Limit, ConcurrencyLimiter? Limiter);

    private sealed class Leases(RateLimitLease? slot, RateLimitLease? stream) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                slot?.Dispose();
                stream?.Dispose();
            }
        }
    }
}
