using System.Collections.Frozen;

namespace Sidecar.Routing;

/// <summary>
/// One step of a route: a key ref's own target, or the members of its pool. <see cref="Owner"/>'s
/// <c>FallbackOn</c> decides whether a failed member hands over to the next member or the next step.
/// </summary>
internal sealed class RouteGroup(string owner, IReadOnlyList<RouteMember> members, FrozenSet<string> fallbackOn, bool isPool)
{
    private int _turn = -1;

    /// <summary>The key ref this step belongs to (the pool, or the target itself).</summary>
    public string Owner { get; } = owner;

    public IReadOnlyList<RouteMember> Members { get; } = members;

    /// <summary>The <c>sidecar.v1.ErrorReason</c> names that move a call on from this step's members.</summary>
    public FrozenSet<string> FallbackOn { get; } = fallbackOn;

    public bool IsPool { get; } = isPool;

    /// <summary>Where this call's round-robin starts: ties on calls in flight go to each member in turn.</summary>
    public int NextTurn() => (int)((uint)Interlocked.Increment(ref _turn) % (uint)Members.Count);
}
