namespace Sidecar.Resilience;

/// <summary>
/// A requests-per-minute bucket: up to <c>perMinute</c> calls at once, refilled evenly (one call every
/// 60/<c>perMinute</c> s), on our <see cref="TimeProvider"/>. Kept as the time the bucket will next be full
/// (the generic cell rate algorithm), in whole ticks, so waits are exact; refilled by arithmetic when asked,
/// not by a timer, so a dropped bucket needs no disposing and tests move a fake clock.
/// </summary>
internal sealed class TokenBucket
{
    private readonly object _lock = new();
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _burst;
    private TimeSpan _full;

    public TokenBucket(int perMinute, TimeProvider time)
    {
        PerMinute = perMinute;
        _time = time;
        _origin = time.GetTimestamp();
        _interval = TimeSpan.FromTicks(TimeSpan.TicksPerMinute / perMinute);
        _burst = TimeSpan.FromMinutes(1) - _interval;
    }

    public int PerMinute { get; }

    /// <summary>Whether a token is left now; takes none.</summary>
    public bool HasToken()
    {
        lock (_lock)
        {
            var now = _time.GetElapsedTime(_origin);
            return (_full > now ? _full : now) - now <= _burst;
        }
    }

    /// <summary>Takes a token; when none is left, says how long until the next one.</summary>
    public bool TryTake(out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            var now = _time.GetElapsedTime(_origin);
            var full = _full > now ? _full : now;
            if (full - now > _burst)
            {
                retryAfter = full - now - _burst;
                return false;
            }

            _full = full + _interval;
            retryAfter = TimeSpan.Zero;
            return true;
        }
    }
}
