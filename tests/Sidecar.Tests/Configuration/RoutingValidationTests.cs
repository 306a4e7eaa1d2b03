using Sidecar.Configuration;

namespace Sidecar.Tests.Configuration;

public sealed class RoutingValidationTests
{
    private static string[] Problems(Action<Dictionary<string, KeyRefOptions>> configure)
    {
        var options = new SidecarOptions();
        configure(options.Keys);
        var problems = new OptionsProblems();
        new RoutingValidation().Validate(options, "Sidecar", problems);
        return [.. problems.All];
    }

    [Fact]
    public void Validate_AValidRoute_HasNoProblem()
    {
        var problems = Problems(k =>
        {
            k["team"] = new KeyRefOptions { Pool = ["a", "b"], Fallbacks = ["azure"], FallbackOn = ["UPSTREAM_AUTH", "UPSTREAM_UNAVAILABLE"] };
            k["a"] = new KeyRefOptions { ApiKey = "env:A", Internal = true, Headers = { ["OpenAI-Organization"] = "env:ORG" } };
            k["b"] = new KeyRefOptions { ApiKey = "env:B", Auth = "Bearer" };
            k["azure"] = new KeyRefOptions { ApiKey = "file:/k", Auth = "api-key", ModelMap = { ["gpt-4o"] = "my-deployment" } };
        });

        Assert.Empty(problems);
    }

    [Fact]
    public void Validate_ACycleThroughPoolAndFallbacks_IsReportedOnce()
    {
        var problems = Problems(k =>
        {
            k["a"] = new KeyRefOptions { Pool = ["b"] };
            k["b"] = new KeyRefOptions { ApiKey = "env:B", Fallbacks = ["c"] };
            k["c"] = new KeyRefOptions { ApiKey = "env:C", Fallbacks = ["a"] };
        });

        Assert.Equal(["Sidecar:Keys:a: Pool and Fallbacks form a cycle: a → b → c → a."], problems);
    }

    [Fact]
    public void Validate_AKeyRefThatFallsBackOnItself_IsACycle() =>
        Assert.Contains("Sidecar:Keys:a: Pool and Fallbacks form a cycle: a → a.", Problems(k => k["a"] = new KeyRefOptions { ApiKey = "env:A", Fallbacks = ["a"] }));

    [Fact]
    public void Validate_UnknownDuplicateAndPoolMembers_AreReported()
    {
        var problems = Problems(k =>
        {
            k["team"] = new KeyRefOptions { Pool = ["a", "A", "ghost", "inner", " "] };
            k["a"] = new KeyRefOptions { ApiKey = "env:A", Fallbacks = ["nowhere"] };
            k["inner"] = new KeyRefOptions { Pool = ["a"] };
        });

        Assert.Contains("Sidecar:Keys:team:Pool names 'A' twice.", problems);
        Assert.Contains(problems, p => p.StartsWith("Sidecar:Keys:team:Pool: 'ghost' is not a configured key ref", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Sidecar:Keys:team:Pool: 'inner' is a pool itself", StringComparison.Ordinal));
        Assert.Contains("Sidecar:Keys:team:Pool must not contain empty names.", problems);
        Assert.Contains(problems, p => p.StartsWith("Sidecar:Keys:a:Fallbacks: 'nowhere' is not a configured key ref", StringComparison.Ordinal));
        Assert.Equal(5, problems.Length);
    }

    [Fact]
    public void Validate_PoolWithATargetOfItsOwn_NamesWhatMakesTheTarget()
    {
        var problems = Problems(k =>
        {
            k["team"] = new KeyRefOptions { Pool = ["a"], ApiKey = "env:X", Endpoint = "http://x/v1", ModelMap = { ["m"] = "n" }, Limits = new KeyLimitsOptions() };
            k["a"] = new KeyRefOptions { ApiKey = "env:A" };
        });

        Assert.Equal(["Sidecar:Keys:team has both a Pool and a target of its own (ApiKey, Endpoint, ModelMap, Limits): set those on the members."], problems);
    }

    [Theory]
    [InlineData("basic", "Sidecar:Keys:k:Auth must be 'bearer', 'api-key' or 'none' (got 'basic').")]
    [InlineData("", null)]
    [InlineData("NONE", null)]
    public void Validate_Auth(string auth, string? problem)
    {
        var problems = Problems(k => k["k"] = new KeyRefOptions { ApiKey = "env:K", Auth = auth });

        Assert.Equal(problem is null ? [] : [problem], problems);
    }

    [Theory]
    [InlineData("TEAPOT", "Sidecar:Keys:k:FallbackOn: 'TEAPOT' is not a sidecar.v1.ErrorReason name (such as UPSTREAM_RATE_LIMITED).")]
    [InlineData("upstream_auth", "Sidecar:Keys:k:FallbackOn: 'upstream_auth' is not a sidecar.v1.ErrorReason name (such as UPSTREAM_RATE_LIMITED).")]
    [InlineData("INVALID_REQUEST", "Sidecar:Keys:k:FallbackOn: the sidecar never falls back on INVALID_REQUEST.")]
    [InlineData("UPSTREAM_AUTH", null)]
    [InlineData("KEY_UNAVAILABLE", null)]
    public void Validate_FallbackOnNames(string reason, string? problem)
    {
        var problems = Problems(k => k["k"] = new KeyRefOptions { ApiKey = "env:K", FallbackOn = [reason] });

        Assert.Equal(problem is null ? [] : [problem], problems);
    }

    [Fact]
    public void Validate_EmptyModelMapNamesAndBadHeaders_AreReported()
    {
        var problems = Problems(k => k["k"] = new KeyRefOptions
        {
            ApiKey = "env:K",
            ModelMap = { ["gpt-4o"] = " ", [""] = "x" },
            Headers = { ["Authorization"] = "Bearer x", ["Bad Name"] = "v", ["X-Empty"] = "", ["X-File"] = "file:relative", ["X-Env"] = "env:" },
        });

        Assert.Contains("Sidecar:Keys:k:ModelMap:gpt-4o must map a model name to a model name (neither may be empty).", problems);
        Assert.Contains("Sidecar:Keys:k:ModelMap: must map a model name to a model name (neither may be empty).", problems);
        Assert.Contains("Sidecar:Keys:k:Headers:Authorization: Authorization is set by the sidecar (Auth decides how the key is sent).", problems);
        Assert.Contains("Sidecar:Keys:k:Headers:Bad Name: the name must be an HTTP header name.", problems);
        Assert.Contains("Sidecar:Keys:k:Headers:X-Empty must have a value: env:NAME, file:/path or the value itself.", problems);
        Assert.Contains("Sidecar:Keys:k:Headers:X-File file: must name an absolute path.", problems);
        Assert.Contains("Sidecar:Keys:k:Headers:X-Env env: must name a variable.", problems);
        Assert.Equal(7, problems.Length);
    }

    [Fact]
    public void SidecarOptionsValidator_PoolAndAuthNone_NeedNoApiKey()
    {
        var options = new SidecarOptions();
        options.Keys["team"] = new KeyRefOptions { Pool = ["local"] };
        options.Keys["local"] = new KeyRefOptions { Auth = "none", Endpoint = "http://127.0.0.1:11434/v1" };

        Assert.Empty(new SidecarOptionsValidator().Validate(options));
    }
}
