using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Sidecar.Tests.Configuration;

public sealed class LiveOptionsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

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
        var validator = new SidecarOptionsValidator();
        using var live = new LiveOptions(configuration, Options.Create(LiveOptions.Read(configuration, validator)), validator, NullLogger<LiveOptions>.Instance);
        var before = live.Current;

        var reload = live.NextReload;
        configuration["Sidecar:Resilience:MaxConcurrentStreams"] = "many";
        configuration.Reload();
        await reload.WaitAsync(Timeout);
        Assert.Same(before, live.Current);

        reload = live.NextReload;
        configuration["Sidecar:Resilience:MaxConcurrentStreams"] = "3";
        configuration.Reload();
        await reload.WaitAsync(Timeout);
        Assert.Equal(3, live.Current.Resilience.MaxConcurrentStreams);
        Assert.True(live.Current.Keys.ContainsKey("a"));
    }

    [Fact]
    public async Task Reload_RedisAddedWithSharedLimits_IsRefusedBecauseRedisIsReadAtStartOnly()
    {
        var configuration = Settings(new() { ["Sidecar:Keys:a:Provider"] = "echo" });
        var validator = new SidecarOptionsValidator();
        using var live = new LiveOptions(configuration, Options.Create(LiveOptions.Read(configuration, validator)), validator, NullLogger<LiveOptions>.Instance);
        var before = live.Current;

        // Valid on its own (a fresh start would connect and enforce it), but this process connected no
        // Redis: taking it would leave the shared limit unenforced without a word.
        var reload = live.NextReload;
        configuration["Sidecar:Redis:Configuration"] = "127.0.0.1:1";
        configuration["Sidecar:Keys:a:SharedLimits:RequestsPerMinute"] = "20";
        configuration.Reload();
        await reload.WaitAsync(Timeout);

        Assert.Same(before, live.Current);
    }

    private static IConfigurationRoot Settings(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}
