namespace Sidecar.Routing;

/// <summary>
/// The order in which a step's members are tried: those that can take the call now by fewest calls in
/// flight, ties going round-robin from the step's turn; then those a breaker or a full local limit would
/// refuse, which are skipped unless nothing else is left (docs/design.md, "Routing").
/// </summary>
internal static class TargetChooser
{
    /// <param name="group">The step.</param>
    /// <param name="ready">Whether a member can take the call now (no open breaker, room in its limits).</param>
    /// <param name="skipped">Receives the members that cannot, in member order.</param>
    public static IReadOnlyList<RouteMember> Order(RouteGroup group, Func<RouteMember, bool> ready, List<RouteMember> skipped)
    {
        var members = group.Members;
        if (members.Count == 1)
        {
            if (ready(members[0]))
            {
                return members;
            }

            skipped.Add(members[0]);
            return [];
        }

        var start = group.NextTurn();
        var order = new List<(RouteMember Member, int InFlight, int Distance)>(members.Count);
        for (var i = 0; i < members.Count; i++)
        {
            var member = members[i];
            if (ready(member))
            {
                // The distance from this call's turn breaks ties, so equal members take calls in turn.
                order.Add((member, member.InFlight, (i - start + members.Count) % members.Count));
            }
            else
            {
                skipped.Add(member);
            }
        }

        order.Sort(static (a, b) => a.InFlight != b.InFlight ? a.InFlight.CompareTo(b.InFlight) : a.Distance.CompareTo(b.Distance));
        return order.ConvertAll(static o => o.Member);
    }
}
