using OpenAI;

namespace Sidecar.Clients;

/// <summary>
/// Everything the daemon keeps for one key ref: its newest upstream client, and the state other layers
/// attach to it (limiters, a circuit breaker). It lives in the <see cref="ClientCache"/> and leaves with
/// it, so that state is bounded by <c>ClientCache:MaxEntries</c> and ages with the client. Nothing in it
/// needs disposing: a call still holding a dropped limiter or breaker finishes on it, and then it is garbage.
/// </summary>
internal sealed class KeyEntry(string keyRef)
{
    /// <summary>Places for attached state; two are used (limits, key breaker).</summary>
    internal const int Capacity = 4;

    private static int s_slots = -1;

    private readonly object?[] _attached = new object?[Capacity];
    private CachedClient? _client;

    /// <summary>The key ref's canonical name.</summary>
    public string KeyRef { get; } = keyRef;

    /// <summary>The newest client, or null before the first call that needed one (echo keys never do).</summary>
    internal CachedClient? Client
    {
        get => Volatile.Read(ref _client);
        set => Volatile.Write(ref _client, value);
    }

    /// <summary>The state in <paramref name="slot"/>, or null; no lock.</summary>
    public T? Peek<T>(KeyEntrySlot<T> slot)
        where T : class => (T?)Volatile.Read(ref _attached[slot.Index]);

    /// <summary>
    /// Stores what <paramref name="choose"/> makes of the state in <paramref name="slot"/> (the current value,
    /// possibly null, or a new one) and returns it. Runs under the entry's lock, so two callers never both
    /// replace the same state.
    /// </summary>
    public T Update<T, TArg>(KeyEntrySlot<T> slot, TArg arg, Func<T?, TArg, T> choose)
        where T : class
    {
        lock (_attached)
        {
            var chosen = choose(Peek(slot), arg);
            Volatile.Write(ref _attached[slot.Index], chosen);
            return chosen;
        }
    }

    internal static int AllocateSlot()
    {
        var index = Interlocked.Increment(ref s_slots);
        if (index >= Capacity)
        {
            throw new InvalidOperationException($"KeyEntry holds at most {Capacity} kinds of state; raise KeyEntry.Capacity.");
        }

        return index;
    }

    /// <summary>A client and the resolution it was made for.</summary>
    internal sealed record CachedClient(string CacheKey, long Generation, OpenAIClient Value);
}
