namespace Sidecar.Tests.Configuration;

public sealed class SidecarOptionsValidatorTests
{
    private readonly SidecarOptionsValidator _validator = new();

    [Fact]
    public void Validate_Defaults_Succeed() => Assert.Empty(_validator.Validate(new SidecarOptions()));

    [Fact]
    public void Validate_ManyProblems_ReportsEveryOneAtOnce()
    {
        var options = new SidecarOptions
        {
            Socket = "relative.sock",
            SocketMode = "999",
            HealthPort = 70000,
            DefaultEndpoint = "ftp://nope",
            KeyRefreshInterval = TimeSpan.Zero,
            ClientCache = { MaxEntries = 0 },
            Limits = { MaxMessages = 0 },
        };
        options.Keys["bad/name"] = new KeyRefOptions { ApiKey = "env:X" };
        options.Keys["no-key"] = new KeyRefOptions();
        options.Keys["odd"] = new KeyRefOptions { Provider = "mystery", Endpoint = "not a uri" };

        var failures = _validator.Validate(options).ToArray();

        Assert.Contains(failures, f => f.StartsWith("Sidecar:Socket", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Sidecar:SocketMode", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Sidecar:HealthPort", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Sidecar:DefaultEndpoint", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Sidecar:KeyRefreshInterval", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Sidecar:ClientCache:MaxEntries", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Sidecar:Limits:MaxMessages", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Sidecar:Keys:bad/name", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Sidecar:Keys:no-key:ApiKey", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Sidecar:Keys:odd:Provider", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Sidecar:Keys:odd:Endpoint", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0L, 4096L)]
    [InlineData(1023L, 4096L)]
    [InlineData(4096L, 0L)]
    [InlineData(4096L, -1L)]
    [InlineData(4096L, (1024L * 1024 * 1024) + 1)]
    public void Validate_UpstreamReadLimitOutOfRange_IsRefusedNamingTheSetting(long maxResponseBytes, long maxEventBytes)
    {
        var options = new SidecarOptions { Upstream = { MaxResponseBytes = maxResponseBytes, MaxEventBytes = maxEventBytes } };

        var failure = Assert.Single(_validator.Validate(options));

        var setting = maxResponseBytes == 4096 ? "Sidecar:Upstream:MaxEventBytes" : "Sidecar:Upstream:MaxResponseBytes";
        Assert.StartsWith($"{setting} must be between 1024 (1 KiB) and 1073741824 (1 GiB)", failure);
    }

    [Fact]
    public void Validate_SamePortTwice_IsRefused()
    {
        var failures = _validator.Validate(new SidecarOptions { HealthPort = 9000, HttpPort = 9000 });
        Assert.Contains(failures, f => f.Contains("must differ", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_LiteralApiKey_IsAcceptedForDevelopment()
    {
        var options = new SidecarOptions();
        options.Keys["dev"] = new KeyRefOptions { ApiKey = "sk-literal" };
        Assert.Empty(_validator.Validate(options));
    }
}
