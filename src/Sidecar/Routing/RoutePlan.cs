namespace Sidecar.Routing;

/// <summary>
/// Where a named key ref's calls may go, in order: its own target or pool, then each fallback (itself a
/// target or a pool, followed by its own fallbacks), every target at most once. Built from configuration,
/// so its length is bounded by the number of configured key refs.
/// </summary>
internal sealed class RoutePlan(IReadOnlyList<RouteGroup> groups)
{
    public IReadOnlyList<RouteGroup> Groups { get; } = groups;

    /// <summary>One step with one member: the key ref's own target and nowhere else (no routing to do).</summary>
    public bool IsSingle { get; } = groups.Count == 1 && groups[0].Members.Count == 1 && !groups[0].IsPool;
}
