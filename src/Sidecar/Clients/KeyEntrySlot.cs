namespace Sidecar.Clients;

/// <summary>
/// A place for one kind of per-key-ref state in every <see cref="KeyEntry"/> (the key's limiters, its
/// breaker). Declare one as a static field: each takes one of the entry's few places for good.
/// </summary>
internal sealed class KeyEntrySlot<T>
    where T : class
{
    public KeyEntrySlot() => Index = KeyEntry.AllocateSlot();

    internal int Index { get; }
}
