using Sidecar.Configuration;

namespace Sidecar.Tests.Configuration;

public sealed class RedisOptionsValidatorTests
{
    private readonly SidecarOptionsValidator _validator = new();

    [Fact]
    public void Validate_RedisAndSharedSettingsWrong_ReportsEveryOneAtOnce()
    {
        var options = new SidecarOptions
        {
            Redis = { Configuration = "127.0.0.1:6379,password=env:SIDECAR_TEST_UNSET_REDIS_PASSWORD", FailMode = "sometimes", OperationTimeout = TimeSpan.Zero, LocalBudgetShare = 0 },
        };
        options.Keys["team-a"] = new KeyRefOptions
        {
            Provider = Providers.Echo,
            SharedLimits = new SharedLimitsOptions { RequestsPerMinute = -1 },
            Budget = new BudgetOptions { TokensPerMonth = -5 },
            Cache = new ResponseCacheOptions { Ttl = TimeSpan.FromDays(8) },
        };

        var failures = _validator.Validate(options).ToArray();

        string[] named =
        [
            "Sidecar:Redis:Configuration takes its password from environment variable",
            "Sidecar:Redis:FailMode",
            "Sidecar:Redis:OperationTimeout",
            "Sidecar:Redis:LocalBudgetShare",
            "Sidecar:Keys:team-a:SharedLimits:RequestsPerMinute",
            "Sidecar:Keys:team-a:Budget:TokensPerMonth",
            "Sidecar:Keys:team-a:Cache:Ttl",
        ];
        Assert.Equal(named.Length, failures.Length);
        Assert.All(named, setting => Assert.Contains(failures, f => f.StartsWith(setting + " ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Validate_SharedLimitsOrBudgetWithoutRedis_AreRefusedNotIgnored()
    {
        var options = new SidecarOptions();
        options.Keys["team-a"] = new KeyRefOptions
        {
            Provider = Providers.Echo,
            SharedLimits = new SharedLimitsOptions { TokensPerMinute = 1000 },
            Budget = new BudgetOptions { TokensPerDay = 1000 },
            Cache = new ResponseCacheOptions { Ttl = TimeSpan.FromMinutes(5) },
        };

        var failures = _validator.Validate(options).ToArray();

        Assert.Equal(2, failures.Length);
        Assert.Contains(failures, f => f.StartsWith("Sidecar:Keys:team-a:SharedLimits needs Sidecar:Redis:Configuration", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Sidecar:Keys:team-a:Budget needs Sidecar:Redis:Configuration", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_UnparsableConfiguration_IsRefusedWithoutQuotingIt()
    {
        var options = new SidecarOptions { Redis = { Configuration = "127.0.0.1:6379,password=hunter2-literal,nosuchoption=1" } };

        var failure = Assert.Single(_validator.Validate(options));

        Assert.StartsWith("Sidecar:Redis:Configuration is not a StackExchange.Redis configuration string", failure);
        Assert.DoesNotContain("hunter2-literal", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PasswordFromFile_Succeeds()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "s3cret\n");
            var options = new SidecarOptions { Redis = { Configuration = $"127.0.0.1:6379,password=file:{file},ssl=true" } };
            options.Keys["team-a"] = new KeyRefOptions { Provider = Providers.Echo, Budget = new BudgetOptions { TokensPerDay = 10 } };

            Assert.Empty(_validator.Validate(options));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Validate_CaFileProblems_AreEachNamed()
    {
        var notPem = Path.GetTempFileName();
        try
        {
            File.WriteAllText(notPem, "not a certificate\n");

            Assert.StartsWith("Sidecar:Redis:CaFile is set, but Configuration does not ask for TLS", Single(new RedisOptions { Configuration = "127.0.0.1:6379", CaFile = notPem }, except: "holds no PEM"));
            Assert.StartsWith($"Sidecar:Redis:CaFile {notPem} holds no PEM certificate", Single(new RedisOptions { Configuration = "127.0.0.1:6379,ssl=true", CaFile = notPem }));
            Assert.StartsWith("Sidecar:Redis:CaFile /nonexistent/ca.crt cannot be read", Single(new RedisOptions { Configuration = "127.0.0.1:6379,ssl=true", CaFile = "/nonexistent/ca.crt" }));
            Assert.StartsWith("Sidecar:Redis:CaFile is set, but Sidecar:Redis:Configuration is empty", Single(new RedisOptions { CaFile = notPem }));
        }
        finally
        {
            File.Delete(notPem);
        }
    }

    /// <summary>The one problem the validator finds with <paramref name="redis"/>, besides any containing <paramref name="except"/>.</summary>
    private string Single(RedisOptions redis, string? except = null) =>
        Assert.Single(_validator.Validate(new SidecarOptions { Redis = redis }), f => except is null || !f.Contains(except, StringComparison.Ordinal));
}
