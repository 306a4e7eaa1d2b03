namespace Sidecar.Routing;

/// <summary>
/// One target a route can send a call to (a key ref with a target of its own), and how many calls it has
/// in flight now, which the <see cref="TargetChooser"/> balances on. One per configured key ref, shared by
/// every plan that names it, so a member of two pools counts its calls once.
/// </summary>
internal sealed class RouteMember(string keyRef)
{
    private int _inFlight;

    /// <summary>The key ref as configured.</summary>
    public string KeyRef { get; } = keyRef;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Counts a call in flight until the lease is disposed (once, however often it is).</summary>
    public Lease Enter()
    {
        Interlocked.Increment(ref _inFlight);
        return new Lease(this);
    }

    /// <summary>A call in flight on a member.</summary>
    internal sealed class Lease(RouteMember member) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref member._inFlight);
            }
        }
    }
}
