using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
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
        // Valid on its own (a fresh start would connect and enforce it), but this process connected no
        // Redis: taking it would leave the shared limit unenforced without a word.
        var (_, line) = await RefusedAsync(
            [],
            ("Sidecar:Redis:Configuration", "127.0.0.1:1"),
            ("Sidecar:Keys:a:SharedLimits:RequestsPerMinute", "20"));

        Assert.Contains("Sidecar:Redis is read at start only; restart the sidecar to apply a change to it (nothing was changed)", line);
    }

    [Fact]
    public async Task Reload_PortChanged_IsRefusedAndTheOldOptionsStay()
    {
        // The listener stays on the port it bound at start: taken, the key ref would apply and the port
        // would be logged as reloaded while nothing listens there.
        var (current, line) = await RefusedAsync(new() { ["Sidecar:HttpPort"] = "8082" }, ("Sidecar:HttpPort", "9090"), ("Sidecar:Keys:b:Provider", "echo"));

        Assert.Equal(8082, current.HttpPort);
        Assert.False(current.Keys.ContainsKey("b"));
        Assert.Contains("Sidecar:HttpPort is read at start only; restart the sidecar", line);
    }

    [Fact]
    public async Task Reload_TwoStartOnlySettingsChanged_NamesBothAndNoValue()
    {
        const string password = "redis-secret-value";
        var (_, line) = await RefusedAsync([], ("Sidecar:ClientCache:MaxEntries", "500"), ("Sidecar:Redis:Configuration", $"127.0.0.1:1,password={password}"));

        Assert.Contains("Sidecar:ClientCache:MaxEntries, Sidecar:Redis are read at start only", line);
        Assert.DoesNotContain(password, line);
        Assert.DoesNotContain("500", line);
    }

    [Fact]
    public async Task Reload_KeyRefAdded_IsApplied()
    {
        var configuration = Settings(new() { ["Sidecar:Keys:a:Provider"] = "echo" });
        using var live = Live(configuration);

        await ReloadAsync(configuration, live, ("Sidecar:Keys:b:Provider", "echo"), ("Sidecar:Limits:MaxMessages", "10"));

        Assert.True(live.Current.Keys.ContainsKey("b"));
        Assert.Equal(10, live.Current.Limits.MaxMessages);
    }

    [Fact]
    public async Task Reload_StartOnlySettingChangedBackToItsStartValue_IsAccepted()
    {
        var configuration = Settings(new() { ["Sidecar:Keys:a:Provider"] = "echo", ["Sidecar:Upstream:ConnectTimeout"] = "00:00:05" });
        using var live = Live(configuration);

        await ReloadAsync(configuration, live, ("Sidecar:Upstream:ConnectTimeout", "00:00:30"), ("Sidecar:Keys:b:Provider", "echo"));
        Assert.False(live.Current.Keys.ContainsKey("b"));

        await ReloadAsync(configuration, live, ("Sidecar:Upstream:ConnectTimeout", "00:00:05"));

        Assert.True(live.Current.Keys.ContainsKey("b"));
        Assert.Equal(TimeSpan.FromSeconds(5), live.Current.Upstream.ConnectTimeout);
    }

    /// <summary>Each start-only setting with a valid value other than its default.</summary>
    public static TheoryData<string, string> StartOnlyChanges => new()
    {
        { "Sidecar:Socket", "/tmp/sidecar-other.sock" },
        { "Sidecar:SocketMode", "0600" },
        { "Sidecar:SocketGroup", "1234" },
        { "Sidecar:AllowWritableSocketFolder", "true" },
        { "Sidecar:HealthPort", "9081" },
        { "Sidecar:HttpPort", "9082" },
        { "Sidecar:HealthAddress", "127.0.0.1" },
        { "Sidecar:PortMaxConnections", "8" },
        { "Sidecar:PortMaxRequests", "8" },
        { "Sidecar:OpenAI:Socket", "/tmp/sidecar-other-openai.sock" },
        { "Sidecar:OpenAI:Port", "9083" },
        { "Sidecar:ShutdownGrace", "00:00:05" },
        { "Sidecar:Limits:MaxRequestBytes", "2048" },
        { "Sidecar:ClientCache:MaxEntries", "500" },
        { "Sidecar:ClientCache:SlidingExpiration", "00:30:00" },
        { "Sidecar:ClientCache:AbsoluteExpiration", "02:00:00" },
        { "Sidecar:ClientCache:ScanFrequency", "00:01:00" },
        { "Sidecar:ResponseCache:MaxBytes", "2097152" },
        { "Sidecar:ResponseCache:MaxEntryBytes", "4096" },
        { "Sidecar:Upstream:PooledConnectionLifetime", "00:01:00" },
        { "Sidecar:Upstream:PooledConnectionIdleTimeout", "00:00:30" },
        { "Sidecar:Upstream:ConnectTimeout", "00:00:05" },
        { "Sidecar:Upstream:MaxResponseBytes", "2048" },
        { "Sidecar:Upstream:MaxEventBytes", "2048" },
        { "Sidecar:Upstream:ForwardTraceStateAndBaggage", "true" },
        { "Sidecar:Redis:FailMode", "open" },
        { "Sidecar:Redis:OperationTimeout", "00:00:01" },
    };

    [Theory]
    [MemberData(nameof(StartOnlyChanges))]
    public async Task Reload_StartOnlySetting_IsRefusedNamingIt(string setting, string value)
    {
        // The Redis section is refused as a whole (StartOnlySettings says why), so it is named as one.
        var named = setting.StartsWith("Sidecar:Redis:", StringComparison.Ordinal) ? "Sidecar:Redis" : setting;

        var (_, line) = await RefusedAsync([], (setting, value));

        Assert.Contains($"{named} is read at start only", line);
    }

    [Fact]
    public async Task Reload_RedisCaFileChanged_IsRefusedNamingTheRedisSection()
    {
        var ca = Path.GetTempFileName();
        try
        {
            using var key = System.Security.Cryptography.ECDsa.Create();
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=test CA", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));
            File.WriteAllText(ca, certificate.ExportCertificatePem());

            var (_, line) = await RefusedAsync(new() { ["Sidecar:Redis:Configuration"] = "127.0.0.1:6379,ssl=true" }, ("Sidecar:Redis:CaFile", ca));

            Assert.Contains("Sidecar:Redis is read at start only", line);
        }
        finally
        {
            File.Delete(ca);
        }
    }

    /// <summary>
    /// Starts with key ref <c>a</c> and <paramref name="start"/>, makes the changes and checks that they were
    /// refused with an error line and nothing changed; returns the settings in force and that line.
    /// </summary>
    private static async Task<(SidecarOptions Current, string Line)> RefusedAsync(Dictionary<string, string?> start, params (string Name, string Value)[] changes)
    {
        start["Sidecar:Keys:a:Provider"] = "echo";
        var configuration = Settings(start);
        var logger = new FakeLogger<LiveOptions>();
        using var live = Live(configuration, logger);
        var before = live.Current;

        await ReloadAsync(configuration, live, changes);

        Assert.Same(before, live.Current);
        Assert.Equal(LogLevel.Error, logger.LatestRecord.Level);
        return (live.Current, logger.LatestRecord.Message);
    }
}
