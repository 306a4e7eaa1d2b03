using System.Collections.Frozen;
using Sidecar.Routing;

namespace Sidecar.Tests.Routing;

public sealed class TargetChooserTests
{
    private static readonly FrozenSet<string> AnyReason = FrozenSet<string>.Empty;

    [Fact]
    public void Order_FewestCallsInFlightFirst()
    {
        var (a, b, c) = (new RouteMember("a"), new RouteMember("b"), new RouteMember("c"));
        using var busyA1 = a.Enter();
        using var busyA2 = a.Enter();
        using var busyC = c.Enter();
        var group = new RouteGroup("pool", [a, b, c], AnyReason, isPool: true);

        var order = TargetChooser.Order(group, _ => true, []);

        Assert.Equal(["b", "c", "a"], order.Select(m => m.KeyRef));
    }

    [Fact]
    public void Order_TiesGoRoundRobin()
    {
        var group = new RouteGroup("pool", [new RouteMember("a"), new RouteMember("b"), new RouteMember("c")], AnyReason, isPool: true);

        var firsts = Enumerable.Range(0, 6).Select(_ => TargetChooser.Order(group, _ => true, [])[0].KeyRef).ToArray();

        Assert.Equal(["a", "b", "c", "a", "b", "c"], firsts);
    }

    [Fact]
    public void Order_ALeaseEndsOnce_TheMemberCountsNoMore()
    {
        var a = new RouteMember("a");
        var lease = a.Enter();

        lease.Dispose();
        lease.Dispose();

        Assert.Equal(0, a.InFlight);
    }

    [Fact]
    public void Order_MembersThatCannotTakeTheCall_AreSkippedAndReported()
    {
        var (a, b, c) = (new RouteMember("a"), new RouteMember("b"), new RouteMember("c"));
        var group = new RouteGroup("pool", [a, b, c], AnyReason, isPool: true);
        var skipped = new List<RouteMember>();

        var order = TargetChooser.Order(group, m => m != b, skipped);

        Assert.DoesNotContain(b, order);
        Assert.Equal([b], skipped);
        Assert.Equal(2, order.Count);
    }

    [Fact]
    public void Order_ASingleTargetThatCannotTakeTheCall_IsSkipped()
    {
        var a = new RouteMember("a");
        var skipped = new List<RouteMember>();

        var order = TargetChooser.Order(new RouteGroup("a", [a], AnyReason, isPool: false), _ => false, skipped);

        Assert.Empty(order);
        Assert.Equal([a], skipped);
    }
}
