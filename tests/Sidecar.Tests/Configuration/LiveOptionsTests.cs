using static Sidecar.Tests.Reloads;

namespace Sidecar.Tests.Configuration;

public sealed class LiveOptionsTests
{
    [Fact]
    public void Read_InvalidSettings_ListsEveryProblem()
    {
        var configuration = Settings(new() { ["Sidecar:ClientCache:MaxEntries"] = "0", ["Sidecar:Limits:MaxMessages"] = "0" });

        var error = Assert.Throws<InvalidConfigurationException>(() => LiveOptions.Read(configuration, new SidecarOptionsValidator()));

        Assert.Collection(
            error.Problems,
            p => Assert.StartsWith("Sidecar:ClientCache:MaxEntries ", p),
            p => Assert.StartsWith("Sidecar:Limits:MaxMessages ", p));
    }

    [Fact]
    public async Task Reload_ValueThatDoesNotConvert_IsRefusedThenAValidChangeApplies()
    {
        var configuration = Settings(new() { ["Sidecar:Keys:a:Provider"] = "echo" });
        using var live = Live(configuration);
        var before = live.Current;

        await ReloadAsync(configuration, live, ("Sidecar:Resilience:MaxConcurrentStreams", "many"));
        Assert.Same(before, live.Current);

        await ReloadAsync(configuration, live, ("Sidecar:Resilience:MaxConcurrentStreams", "3"));
        Assert.Equal(3, live.Current.Resilience.MaxConcurrentStreams);
        Assert.True(live.Current.Keys.ContainsKey("a"));
    }

    [Fact]
    public async Task Reload_RedisAddedWithSharedLimits_IsRefusedBecauseRedisIsReadAtStartOnly()
    {
        var configuration = Settings(new() { ["Sidecar:Keys:a:Provider"] = "echo" });
        using var live = Live(configuration);
        var before = live.Current;

        // Valid on its own (a fresh start would connect and enforce it), but this process connected no
        // Redis: taking it would leave the shared limit unenforced without a word.
        await ReloadAsync(
            configuration,
            live,
            ("Sidecar:Redis:Configuration", "127.0.0.1:1"),
            ("Sidecar:Keys:a:SharedLimits:RequestsPerMinute", "20"));

        Assert.Same(before, live.Current);
    }
}
