using System.Net;
using Grpc.Health.V1;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Sidecar.FunctionalTests;

/// <summary>
/// Circuit breakers on the real daemon: which failures trip which breaker, what readiness says about
/// them, and that a key rotation never leaves a breaker behind that breaks readiness.
/// </summary>
public sealed class BreakerIsolationTests : KeysDirectoryTests
{
    private readonly string _otherKey = $"sk-other-{Guid.NewGuid():N}";
    private readonly string _deadEndpoint = $"http://127.0.0.1:{Daemon.FreePort()}/v1";

    protected override Dictionary<string, string> KeyFiles => new() { ["team-r"] = "sk-rotating-one\n" };

    protected override Dictionary<string, string> MoreSettings() => new()
    {
        ["Sidecar:Keys:other:ApiKey"] = _otherKey,
        ["Sidecar:Keys:other:Endpoint"] = Upstream.Endpoint.ToString(),
        ["Sidecar:Keys:dead-a:ApiKey"] = _otherKey,
        ["Sidecar:Keys:dead-a:Endpoint"] = _deadEndpoint,
        ["Sidecar:Keys:dead-b:ApiKey"] = _otherKey,
        ["Sidecar:Keys:dead-b:Endpoint"] = _deadEndpoint,
        ["Sidecar:Resilience:Retry:MaxRetries"] = "0",
        ["Sidecar:Resilience:CircuitBreaker:MinimumThroughput"] = "2",
        ["Sidecar:Resilience:CircuitBreaker:FailureRatio"] = "0.5",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Daemon.AddSecret(_otherKey);
    }

    [Fact]
    public async Task Readiness_KeyBreakerOpensAgainAfterARotation_StaysReadyOverHttpAndGrpc()
    {
        // The old and the new secret's breakers both opened under one detail name: building the details
        // threw, and readiness stayed NOT_SERVING while calls went on working.
        await FailThriceAsync(Call("team-r", "fake-401"));
        await File.WriteAllTextAsync(Path.Combine(KeysFolder.FullName, "team-r"), "sk-rotating-two\n");
        Clock.Advance(TimeSpan.FromSeconds(11));
        await FailThriceAsync(Call("team-r", "fake-401"));

        using var http = Daemon.HttpPortClient();
        var readyz = await http.GetAsync("/readyz").WaitAsync(Daemon.Timeout);
        var overSocket = await Daemon.SocketHealth.CheckAsync(new HealthCheckRequest { Service = "readiness" }).ResponseAsync.WaitAsync(Daemon.Timeout);
        using var tcp = Daemon.HealthPortChannel();
        var overTcp = await new Grpc.Health.V1.Health.HealthClient(tcp).CheckAsync(new HealthCheckRequest { Service = "readiness" }).ResponseAsync.WaitAsync(Daemon.Timeout);
        var ready = await Daemon.ReadinessAsync();

        Assert.Equal(HttpStatusCode.OK, readyz.StatusCode);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, overSocket.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, overTcp.Status);
        Assert.Equal(HealthStatus.Healthy, ready.Status);
        Assert.Equal("open", ready.Data["circuit.key_ref.team-r"]);
        Assert.Single(ready.Data.Keys, k => k.StartsWith("circuit.key_ref.", StringComparison.Ordinal));
        Assert.Equal(4, Upstream.CountFor("fake-401"));
    }

    [Fact]
    public async Task Complete_OneKeysModelAnswers500_AnotherKeysHealthyModelOnTheSameEndpointIsServed()
    {
        for (var i = 0; i < 4; i++)
        {
            await Assert.ThrowsAsync<RpcException>(() => Daemon.Client.CompleteAsync(Requests.Fake("fake-500")).ResponseAsync.WaitAsync(Daemon.Timeout));
        }

        var answer = await Daemon.Client.CompleteAsync(Call("other", "fake-1@healthy")).ResponseAsync.WaitAsync(Daemon.Timeout);
        var stream = await CompletionsTests.ReadAllAsync(Daemon.Client.StreamComplete(Call("other", "fake-1@healthy")));
        var sameModel = await RpcAssert.FailsAsync(() => Daemon.Client.CompleteAsync(Call("other", "fake-500")).ResponseAsync, StatusCode.Unavailable, "CIRCUIT_OPEN");
        var ready = await Daemon.ReadinessAsync();

        Assert.Equal("fake: alpha beta gamma", answer.Message.Content);
        Assert.Equal(FinishReason.Stop, stream[^1].FinishReason);
        Assert.Equal("model", sameModel!.GetDetail<Google.Rpc.ErrorInfo>().Metadata["circuit"]);
        Assert.Equal(2, Upstream.CountFor("fake-500"));
        Assert.Equal("closed", ready.Data[$"circuit.endpoint.{Upstream.Endpoint.Authority}"]);
        Assert.Equal("open", ready.Data[$"circuit.model.{Upstream.Endpoint.Authority}/fake-500"]);
        Assert.Equal(0, Daemon.CircuitGauge(Upstream.Endpoint.Authority));
        Assert.Equal(2, Daemon.CircuitGauge(Upstream.Endpoint.Authority, "fake-500"));
    }

    [Fact]
    public async Task Complete_ConnectionFailures_OpenTheEndpointBreakerForEveryModel()
    {
        // Nothing listens at the dead endpoint: no HTTP answer at all, so the endpoint itself is down.
        for (var i = 0; i < 2; i++)
        {
            await RpcAssert.FailsAsync(() => Daemon.Client.CompleteAsync(Call("dead-a", "fake-1@down")).ResponseAsync, StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE");
        }

        var refused = await RpcAssert.FailsAsync(() => Daemon.Client.CompleteAsync(Call("dead-b", "fake-1@elsewhere")).ResponseAsync, StatusCode.Unavailable, "CIRCUIT_OPEN");

        Assert.Equal("endpoint", refused!.GetDetail<Google.Rpc.ErrorInfo>().Metadata["circuit"]);
    }

    private static CompleteRequest Call(string keyRef, string model) => new()
    {
        KeyRef = keyRef,
        Model = model,
        Messages = { new Message { Role = Role.User, Content = "alpha beta gamma" } },
    };

    private async Task FailThriceAsync(CompleteRequest request)
    {
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<RpcException>(() => Daemon.Client.CompleteAsync(request).ResponseAsync.WaitAsync(Daemon.Timeout));
        }
    }
}
