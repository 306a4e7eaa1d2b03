using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;

namespace Sidecar.Caching;

/// <summary>
/// Values by name, bounded in number and in age: at most <c>maxEntries</c>, each dropped once unused for
/// the sliding expiration or older than the absolute one. A timer of our <see cref="TimeProvider"/> sweeps
/// expired values, so they go whether or not anyone asks for them again; when full, the least recently
/// used twentieth makes room. Lookups take no lock. Adding and dropping take one, and the eviction
/// callback runs under it, in order: a value's dependants go with it, never after it has been replaced
/// (the asynchronous callbacks of <see cref="MemoryCache"/> could run after the same name was added
/// again, and remove bookkeeping that belonged to the new value).
/// </summary>
internal sealed class BoundedCache<TValue> : IDisposable
    where TValue : class
{
    private readonly ConcurrentDictionary<string, Slot> _slots;
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly int _maxEntries;
    private readonly TimeSpan? _sliding;
    private readonly TimeSpan? _absolute;
    private readonly Action<string, TValue, EvictionReason>? _evicted;
    private readonly ITimer _sweeper;

    public BoundedCache(
        TimeProvider time,
        int maxEntries,
        TimeSpan? sliding,
        TimeSpan? absolute,
        TimeSpan sweepEvery,
        StringComparer comparer,
        Action<string, TValue, EvictionReason>? evicted = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        _time = time;
        _maxEntries = maxEntries;
        _sliding = sliding;
        _absolute = absolute;
        _evicted = evicted;
        _slots = new ConcurrentDictionary<string, Slot>(comparer);
        _sweeper = time.CreateTimer(static self => ((BoundedCache<TValue>)self!).Sweep(), this, sweepEvery, sweepEvery);
    }

    /// <summary>How many values are held now; never more than <c>maxEntries</c>.</summary>
    public int Count => _slots.Count;

    /// <summary>The values held now, without refreshing their sliding expiration.</summary>
    public IEnumerable<TValue> Values => _slots.Values.Select(static s => s.Value);

    /// <summary>The live value of <paramref name="name"/>, refreshing its sliding expiration.</summary>
    public bool TryGet(string name, out TValue value)
    {
        var now = _time.GetTimestamp();
        if (_slots.TryGetValue(name, out var slot) && !IsExpired(slot, now))
        {
            slot.LastUsed = now;
            value = slot.Value;
            return true;
        }

        value = null!;
        return false;
    }

    /// <summary>
    /// The live value of <paramref name="name"/>, or a new one from <paramref name="create"/>, which runs
    /// under the cache's lock at most once per miss: keep it cheap.
    /// </summary>
    public TValue GetOrAdd<TArg>(string name, TArg arg, Func<string, TArg, TValue> create)
    {
        if (TryGet(name, out var value))
        {
            return value;
        }

        lock (_gate)
        {
            return TryGet(name, out value) ? value : AddLocked(name, create(name, arg));
        }
    }

    /// <summary>Adds or replaces the value of <paramref name="name"/> (the replaced one is evicted as <see cref="EvictionReason.Replaced"/>).</summary>
    public void Set(string name, TValue value)
    {
        lock (_gate)
        {
            AddLocked(name, value);
        }
    }

    /// <summary>Drops everything (evicted as <see cref="EvictionReason.Removed"/>).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            foreach (var (name, slot) in _slots)
            {
                DropLocked(name, slot, EvictionReason.Removed);
            }
        }
    }

    /// <summary>Drops the values <paramref name="drop"/> picks (evicted as <see cref="EvictionReason.Removed"/>) and returns them.</summary>
    public List<TValue> RemoveWhere(Func<TValue, bool> drop)
    {
        var dropped = new List<TValue>();
        lock (_gate)
        {
            foreach (var (name, slot) in _slots)
            {
                if (drop(slot.Value))
                {
                    DropLocked(name, slot, EvictionReason.Removed);
                    dropped.Add(slot.Value);
                }
            }
        }

        return dropped;
    }

    /// <summary>Drops expired values; the timer calls it every <c>sweepEvery</c>.</summary>
    public void Sweep()
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            foreach (var (name, slot) in _slots)
            {
                if (IsExpired(slot, now))
                {
                    DropLocked(name, slot, EvictionReason.Expired);
                }
            }
        }
    }

    private TValue AddLocked(string name, TValue value)
    {
        var now = _time.GetTimestamp();
        if (_slots.TryGetValue(name, out var old))
        {
            DropLocked(name, old, IsExpired(old, now) ? EvictionReason.Expired : EvictionReason.Replaced);
        }

        if (_slots.Count >= _maxEntries)
        {
            MakeRoomLocked(now);
        }

        _slots[name] = new Slot(value, now);
        return value;
    }

    /// <summary>Drops the expired values, and if that is not enough the least recently used twentieth (at least one).</summary>
    private void MakeRoomLocked(long now)
    {
        var all = _slots.ToArray();
        var live = new List<KeyValuePair<string, Slot>>(all.Length);
        foreach (var pair in all)
        {
            if (IsExpired(pair.Value, now))
            {
                DropLocked(pair.Key, pair.Value, EvictionReason.Expired);
            }
            else
            {
                live.Add(pair);
            }
        }

        var excess = live.Count - _maxEntries + 1;
        if (excess <= 0)
        {
            return;
        }

        // A batch, so that a full cache under churn sorts once per twentieth of its size, not per miss.
        var drop = Math.Min(live.Count, Math.Max(excess, _maxEntries / 20));
        live.Sort(static (a, b) => a.Value.LastUsed.CompareTo(b.Value.LastUsed));
        for (var i = 0; i < drop; i++)
        {
            DropLocked(live[i].Key, live[i].Value, EvictionReason.Capacity);
        }
    }

    private void DropLocked(string name, Slot slot, EvictionReason reason)
    {
        if (_slots.TryRemove(KeyValuePair.Create(name, slot)))
        {
            _evicted?.Invoke(name, slot.Value, reason);
        }
    }

    private bool IsExpired(Slot slot, long now) =>
        (_sliding is { } sliding && _time.GetElapsedTime(slot.LastUsed, now) >= sliding)
        || (_absolute is { } absolute && _time.GetElapsedTime(slot.Created, now) >= absolute);

    public void Dispose() => _sweeper.Dispose();

    private sealed class Slot(TValue value, long created)
    {
        private long _lastUsed = created;

        public TValue Value { get; } = value;

        public long Created { get; } = created;

        public long LastUsed
        {
            get => Volatile.Read(ref _lastUsed);
            set => Volatile.Write(ref _lastUsed, value);
        }
    }
}
