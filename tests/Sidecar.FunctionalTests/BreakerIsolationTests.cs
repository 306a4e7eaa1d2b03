using System.Diagnostics.Metrics;
using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Sidecar.Diagnostics;
using Sidecar.FakeUpstream;
using Sidecar.V1;

namespace Sidecar.FunctionalTests;

/// <summary>
/// Circuit breakers on the real daemon: which failures trip which breaker, what readiness says about
/// them, and that a key rotation never leaves a breaker behind that breaks readiness.
/// </summary>
public sealed class BreakerIsolationTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly DirectoryInfo _keys = Directory.CreateTempSubdirectory("sidecar-breakers-");
    private readonly string _otherKey = $"sk-other-{Guid.NewGuid():N}";
    private readonly string _deadEndpoint = $"http://127.0.0.1:{Daemon.FreePort()}/v1";
    private FakeUpstreamServer _upstream = null!;
    private Daemon _daemon = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync();
        await File.WriteAllTextAsync(Path.Combine(_keys.FullName, "team-r"), "sk-rotating-one\n");
        _daemon = await Daemon.StartAsync(
            _upstream,
            new Dictionary<string, string>
            {
                ["Sidecar:KeysDirectory"] = _keys.FullName,
                ["Sidecar:DefaultEndpoint"] = _upstream.Endpoint.ToString(),
                ["Sidecar:KeyRefreshInterval"] = "00:00:10",
                ["Sidecar:Keys:other:ApiKey"] = _otherKey,
                ["Sidecar:Keys:other:Endpoint"] = _upstream.Endpoint.ToString(),
                ["Sidecar:Keys:dead-a:ApiKey"] = _otherKey,
                ["Sidecar:Keys:dead-a:Endpoint"] = _deadEndpoint,
                ["Sidecar:Keys:dead-b:ApiKey"] = _otherKey,
                ["Sidecar:Keys:dead-b:Endpoint"] = _deadEndpoint,
                ["Sidecar:Resilience:Retry:MaxRetries"] = "0",
                ["Sidecar:Resilience:CircuitBreaker:MinimumThroughput"] = "2",
                ["Sidecar:Resilience:CircuitBreaker:FailureRatio"] = "0.5",
            },
            builder => builder.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(_time)));
        _daemon.AddSecret("sk-rotating-one");
        _daemon.AddSecret("sk-rotating-two");
        _daemon.AddSecret(_otherKey);
    }

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        await _upstream.DisposeAsync();
        _keys.Delete(recursive: true);
    }

    [Fact]
    public async Task Readiness_KeyBreakerOpensAgainAfterARotation_StaysReadyOverHttpAndGrpc()
    {
        // The old and the new secret's breakers both opened under one detail name: building the details
        // threw, and readiness stayed NOT_SERVING while calls went on working.
        await FailThriceAsync(Call("team-r", "fake-401"));
        await File.WriteAllTextAsync(Path.Combine(_keys.FullName, "team-r"), "sk-rotating-two\n");
        _time.Advance(TimeSpan.FromSeconds(11));
        await FailThriceAsync(Call("team-r", "fake-401"));

        using var http = _daemon.HttpPortClient();
        var readyz = await http.GetAsync("/readyz").WaitAsync(Daemon.Timeout);
        var overSocket = await _daemon.SocketHealth.CheckAsync(new HealthCheckRequest { Service = "readiness" }).ResponseAsync.WaitAsync(Daemon.Timeout);
        using var tcp = _daemon.HealthPortChannel();
        var overTcp = await new Grpc.Health.V1.Health.HealthClient(tcp).CheckAsync(new HealthCheckRequest { Service = "readiness" }).ResponseAsync.WaitAsync(Daemon.Timeout);
        var ready = await ReadinessAsync();

        Assert.Equal(HttpStatusCode.OK, readyz.StatusCode);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, overSocket.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, overTcp.Status);
        Assert.Equal(HealthStatus.Healthy, ready.Status);
        Assert.Equal("open", ready.Data["circuit.key_ref.team-r"]);
        Assert.Single(ready.Data.Keys, k => k.StartsWith("circuit.key_ref.", StringComparison.Ordinal));
        Assert.Equal(4, _upstream.CountFor("fake-401"));
    }

    [Fact]
    public async Task Complete_OneKeysModelAnswers500_AnotherKeysHealthyModelOnTheSameEndpointIsServed()
    {
        for (var i = 0; i < 4; i++)
        {
            await Assert.ThrowsAsync<RpcException>(() => _daemon.Client.CompleteAsync(Requests.Fake("fake-500")).ResponseAsync.WaitAsync(Daemon.Timeout));
        }

        var answer = await _daemon.Client.CompleteAsync(Call("other", "fake-1@healthy")).ResponseAsync.WaitAsync(Daemon.Timeout);
        var stream = await CompletionsTests.ReadAllAsync(_daemon.Client.StreamComplete(Call("other", "fake-1@healthy")));
        var sameModel = await RpcAssert.FailsAsync(() => _daemon.Client.CompleteAsync(Call("other", "fake-500")).ResponseAsync, StatusCode.Unavailable, "CIRCUIT_OPEN");
        var ready = await ReadinessAsync();

        Assert.Equal("fake: alpha beta gamma", answer.Message.Content);
        Assert.Equal(FinishReason.Stop, stream[^1].FinishReason);
        Assert.Equal("model", sameModel!.GetDetail<Google.Rpc.ErrorInfo>().Metadata["circuit"]);
        Assert.Equal(2, _upstream.CountFor("fake-500"));
        Assert.Equal("closed", ready.Data[$"circuit.endpoint.{_upstream.Endpoint.Authority}"]);
        Assert.Equal("open", ready.Data[$"circuit.model.{_upstream.Endpoint.Authority}/fake-500"]);
        Assert.Equal(0, Gauge(("scope", "endpoint"), ("endpoint", _upstream.Endpoint.Authority)));
        Assert.Equal(2, Gauge(("scope", "model"), ("endpoint", _upstream.Endpoint.Authority), ("model", "fake-500")));
    }

    [Fact]
    public async Task Complete_ConnectionFailures_OpenTheEndpointBreakerForEveryModel()
    {
        // Nothing listens at the dead endpoint: no HTTP answer at all, so the endpoint itself is down.
        for (var i = 0; i < 2; i++)
        {
            await RpcAssert.FailsAsync(() => _daemon.Client.CompleteAsync(Call("dead-a", "fake-1@down")).ResponseAsync, StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE");
        }

        var refused = await RpcAssert.FailsAsync(() => _daemon.Client.CompleteAsync(Call("dead-b", "fake-1@elsewhere")).ResponseAsync, StatusCode.Unavailable, "CIRCUIT_OPEN");

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
            await Assert.ThrowsAsync<RpcException>(() => _daemon.Client.CompleteAsync(request).ResponseAsync.WaitAsync(Daemon.Timeout));
        }
    }

    private async Task<HealthReportEntry> ReadinessAsync()
    {
        var health = _daemon.App.Services.GetRequiredService<HealthCheckService>();
        var report = await health.CheckHealthAsync(r => r.Tags.Contains("ready")).WaitAsync(Daemon.Timeout);
        return report.Entries["ready"];
    }

    /// <summary>The one <c>sidecar.circuit.state</c> measurement carrying all <paramref name="labels"/>, from this daemon's own meter.</summary>
    private int Gauge(params (string Name, string Value)[] labels)
    {
        var meter = _daemon.App.Services.GetRequiredService<SidecarMetrics>().Meter;
        var values = new List<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter && instrument.Name == "sidecar.circuit.state")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            var all = tags.ToArray();
            if (labels.All(l => all.Contains(new(l.Name, l.Value))))
            {
                values.Add(value);
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return Assert.Single(values);
    }
}
