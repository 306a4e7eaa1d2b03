using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Polly.CircuitBreaker;
using static Sidecar.Tests.Reloads;

namespace Sidecar.Tests.Resilience;

/// <summary>Circuit breakers across configuration reloads, on a fake clock (docs/operations.md, "A configuration change did not take effect").</summary>
public sealed class CircuitBreakersReloadTests : IDisposable
{
    private const string Model = "gpt-test";
    private const string Kept = "http://kept.test:8080/v1";
    private const string Moved = "http://moved.test:8080/v1";
    private const int DroppedLogId = 104;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger<CircuitBreakers> _logger = new();
    private readonly IConfigurationRoot _configuration = Settings(new()
    {
        ["Sidecar:DefaultEndpoint"] = "http://default.test:8080/v1",
        ["Sidecar:Keys:kept:ApiKey"] = "env:SK_KEPT",
        ["Sidecar:Keys:kept:Endpoint"] = Kept,
        ["Sidecar:Keys:moved:ApiKey"] = "env:SK_MOVED",
        ["Sidecar:Keys:moved:Endpoint"] = Moved,
        ["Sidecar:Resilience:CircuitBreaker:MinimumThroughput"] = "2",
        ["Sidecar:Resilience:CircuitBreaker:BreakDuration"] = "00:05:00",
    });

    private readonly LiveOptions _live;
    private readonly SidecarMetrics _metrics = new(Failures.Meters());
    private readonly ClientCache _clients;
    private readonly CircuitBreakers _breakers;

    public CircuitBreakersReloadTests()
    {
        _live = Live(_configuration);
        _clients = Failures.Clients(_live.Current, _time, _metrics);
        _breakers = new CircuitBreakers(_live, _clients, Failures.Classifier, _time, _metrics, _logger);
    }

    public void Dispose()
    {
        _breakers.Dispose();
        _clients.Dispose();
        _metrics.Dispose();
        _live.Dispose();
    }

    [Fact]
    public async Task Reload_EndpointNoLongerConfigured_ItsBreakersLeaveTheSnapshotTheGaugeAndTheLogSaysSo()
    {
        using var gauge = new MetricCollector<int>(_metrics.Meter, "sidecar.circuit.state");
        await FailAsync(_breakers.ForEndpoint(new Uri(Moved))!, Failures.ConnectionRefused());
        await FailAsync(_breakers.ForModel(new Uri(Moved), Model)!, Failures.Http(503));
        Assert.NotNull(_breakers.ForEndpoint(new Uri(Kept)));
        Assert.Contains(_breakers.Snapshot(), b => b.Name == "moved.test:8080");

        await ReloadAsync(_configuration, _live, ("Sidecar:Keys:moved:Endpoint", "http://elsewhere.test/v1"));

        var snapshot = _breakers.Snapshot();
        Assert.DoesNotContain(snapshot, b => b.Name == "moved.test:8080" || b.Endpoint == "moved.test:8080");
        Assert.Contains(new BreakerSnapshot(CircuitBreakers.EndpointScope, "kept.test:8080", CircuitState.Closed), snapshot);
        gauge.RecordObservableInstruments();
        var series = gauge.GetMeasurementSnapshot();
        Assert.Contains(series, m => Equals(m.Tags["endpoint"], "kept.test:8080"));
        Assert.DoesNotContain(series, m => Equals(m.Tags["endpoint"], "moved.test:8080"));

        // A call that resolved its key before the reload goes on without them, and does not bring them back.
        Assert.Null(_breakers.ForEndpoint(new Uri(Moved)));
        Assert.Null(_breakers.ForModel(new Uri(Moved), Model));
        Assert.DoesNotContain(_breakers.Snapshot(), b => b.Name == "moved.test:8080");
        var log = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == DroppedLogId);
        Assert.Contains("endpoint moved.test:8080, model moved.test:8080/gpt-test", log.Message);
    }

    [Fact]
    public async Task Reload_EndpointChangedEveryTime_HoldsOneBreakerPerConfiguredEndpointHoweverManyReloads()
    {
        for (var i = 0; i < 20; i++)
        {
            var endpoint = $"http://moved-{i}.test/v1";
            await ReloadAsync(_configuration, _live, ("Sidecar:Keys:moved:Endpoint", endpoint));
            Assert.NotNull(_breakers.ForEndpoint(new Uri(endpoint)));
            Assert.NotNull(_breakers.ForModel(new Uri(endpoint), Model));
        }

        Assert.Equal(1, _breakers.EndpointBreakers);
        Assert.Equal(1, _breakers.ModelBreakers);
        Assert.Equal("moved-19.test", Assert.Single(_breakers.Snapshot()).Name);
    }

    [Fact]
    public async Task Reload_EndpointsStillConfigured_KeepTheirOpenBreakersStateAndAll()
    {
        var key = Failures.Key("kept", Kept);
        var endpoint = _breakers.ForEndpoint(key.Endpoint)!;
        var onDefault = _breakers.ForEndpoint(new Uri(_live.Current.DefaultEndpoint))!;
        await FailAsync(endpoint, Failures.ConnectionRefused());
        await FailAsync(onDefault, Failures.ConnectionRefused());
        await FailAsync(_breakers.ForModel(key.Endpoint, Model)!, Failures.Http(503));
        await FailAsync(_breakers.ForKey(key)!, Failures.Http(401));

        await ReloadAsync(_configuration, _live, ("Sidecar:Keys:moved:Endpoint", "http://elsewhere.test/v1"), ("Sidecar:KeyRefreshInterval", "00:01:00"));

        Assert.Same(endpoint, _breakers.ForEndpoint(key.Endpoint));
        Assert.Same(onDefault, _breakers.ForEndpoint(new Uri(_live.Current.DefaultEndpoint)));
        Assert.True(_breakers.Refuses(key, Model));
        var snapshot = _breakers.Snapshot();
        Assert.Contains(new BreakerSnapshot(CircuitBreakers.EndpointScope, "kept.test:8080", CircuitState.Open), snapshot);
        Assert.Contains(new BreakerSnapshot(CircuitBreakers.EndpointScope, "default.test:8080", CircuitState.Open), snapshot);
        Assert.Contains(new BreakerSnapshot(CircuitBreakers.ModelScope, Model, CircuitState.Open, "kept.test:8080"), snapshot);
        Assert.Contains(new BreakerSnapshot(CircuitBreakers.KeyScope, "kept", CircuitState.Open), snapshot);
        Assert.DoesNotContain(_logger.Collector.GetSnapshot(), r => r.Id.Id == DroppedLogId);
    }

    [Fact]
    public async Task Reload_BreakerSettingsChanged_EveryBreakerStartsClosedAndOpensByTheNewSettings()
    {
        var key = Failures.Key("kept", Kept);
        var old = _breakers.ForEndpoint(key.Endpoint)!;
        await FailAsync(old, Failures.ConnectionRefused());
        await FailAsync(_breakers.ForModel(key.Endpoint, Model)!, Failures.Http(503));
        await FailAsync(_breakers.ForKey(key)!, Failures.Http(401));

        await ReloadAsync(
            _configuration,
            _live,
            ("Sidecar:Resilience:CircuitBreaker:MinimumThroughput", "3"),
            ("Sidecar:Resilience:CircuitBreaker:BreakDuration", "00:00:10"));

        Assert.False(_breakers.Refuses(key, Model));
        Assert.Empty(_breakers.Snapshot());
        var log = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == DroppedLogId);
        Assert.Contains("endpoint kept.test:8080, model kept.test:8080/gpt-test, key_ref kept", log.Message);

        // Built again on use, with the new settings: three failures to open, a break of ten seconds.
        foreach (var breaker in new[] { _breakers.ForEndpoint(key.Endpoint)!, _breakers.ForModel(key.Endpoint, Model)!, _breakers.ForKey(key)! })
        {
            Exception failure = breaker.Scope switch
            {
                CircuitBreakers.EndpointScope => Failures.ConnectionRefused(),
                CircuitBreakers.KeyScope => Failures.Http(401),
                _ => Failures.Http(503),
            };
            Assert.Equal(CircuitState.Closed, breaker.State);
            await FailAsync(breaker, failure, times: 2);
            Assert.Equal(CircuitState.Closed, breaker.State);
            await FailAsync(breaker, failure, times: 1);
            var refused = await Assert.ThrowsAnyAsync<BrokenCircuitException>(() => Call(breaker));
            Assert.Equal(TimeSpan.FromSeconds(10), refused.RetryAfter);
        }

        Assert.NotSame(old, _breakers.ForEndpoint(key.Endpoint));
    }

    [Fact]
    public async Task Reload_BreakersTurnedOff_NoBreakerIsLeftOrMade()
    {
        var key = Failures.Key("kept", Kept);
        await FailAsync(_breakers.ForEndpoint(key.Endpoint)!, Failures.ConnectionRefused());

        await ReloadAsync(_configuration, _live, ("Sidecar:Resilience:CircuitBreaker:Enabled", "false"));

        Assert.Empty(_breakers.Snapshot());
        Assert.False(_breakers.Refuses(key, Model));
        Assert.Null(_breakers.ForEndpoint(key.Endpoint));
    }

    [Fact]
    public async Task Reload_CallInFlightThroughABreakerTheReloadDrops_FinishesOnIt()
    {
        var breaker = _breakers.ForEndpoint(new Uri(Moved))!;
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var call = breaker.Pipeline.ExecuteAsync(async _ => await answer.Task, CancellationToken.None).AsTask();

        await ReloadAsync(
            _configuration,
            _live,
            ("Sidecar:Keys:moved:Endpoint", "http://elsewhere.test/v1"),
            ("Sidecar:Resilience:CircuitBreaker:BreakDuration", "00:00:10"));
        Assert.DoesNotContain(_breakers.Snapshot(), b => b.Name == "moved.test:8080");
        answer.SetResult("ok");

        Assert.Equal("ok", await call.WaitAsync(Timeout));
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    /// <summary>Fails <paramref name="times"/> calls through the breaker (by default enough to open it, at two of two).</summary>
    private static async Task FailAsync(Breaker breaker, Exception failure, int times = 2)
    {
        for (var i = 0; i < times; i++)
        {
            Assert.Same(failure, await Assert.ThrowsAnyAsync<Exception>(() => breaker.Pipeline.ExecuteAsync<string>(_ => ValueTask.FromException<string>(failure), CancellationToken.None).AsTask()));
        }
    }

    private static Task<string> Call(Breaker breaker) => breaker.Pipeline.ExecuteAsync(_ => ValueTask.FromResult("ok"), CancellationToken.None).AsTask();
}
