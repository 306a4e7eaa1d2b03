using Sidecar.Configuration;
using Sidecar.Routing;

namespace Sidecar.Tests.Routing;

public sealed class RoutePlansTests
{
    [Fact]
    public void Build_PoolThenFallbacksInOrder_EachTargetOnce()
    {
        var options = TestOptions.Create(o =>
        {
            o.Keys["team"] = new KeyRefOptions { Pool = ["k1", "k2"], Fallbacks = ["azure", "k1"] };
            o.Keys["k1"] = new KeyRefOptions { ApiKey = "env:K1" };
            o.Keys["k2"] = new KeyRefOptions { ApiKey = "env:K2" };
            o.Keys["azure"] = new KeyRefOptions { Pool = ["az1", "k2"], FallbackOn = ["UPSTREAM_AUTH"], Fallbacks = ["last"] };
            o.Keys["az1"] = new KeyRefOptions { ApiKey = "env:AZ1" };
            o.Keys["last"] = new KeyRefOptions { ApiKey = "env:LAST" };
        });

        var plan = RoutePlans.Build(options)["team"];

        Assert.Equal(["team", "azure", "last"], plan.Groups.Select(g => g.Owner));
        Assert.Equal(["k1", "k2"], plan.Groups[0].Members.Select(m => m.KeyRef));
        Assert.Equal(["az1"], plan.Groups[1].Members.Select(m => m.KeyRef));
        Assert.Equal(RoutingValidation.DefaultFallbackOn.Order(), plan.Groups[0].FallbackOn.Order());
        Assert.Equal(["UPSTREAM_AUTH"], plan.Groups[1].FallbackOn);
        Assert.False(plan.IsSingle);
    }

    [Fact]
    public void Build_AMemberOfTwoPools_SharesItsCountOfCallsInFlight()
    {
        var options = TestOptions.Create(o =>
        {
            o.Keys["p1"] = new KeyRefOptions { Pool = ["k"] };
            o.Keys["p2"] = new KeyRefOptions { Pool = ["K"] };
            o.Keys["k"] = new KeyRefOptions { ApiKey = "env:K" };
        });

        var plans = RoutePlans.Build(options);

        Assert.Same(plans["p1"].Groups[0].Members[0], plans["p2"].Groups[0].Members[0]);
        Assert.True(plans["k"].IsSingle);
    }
}
