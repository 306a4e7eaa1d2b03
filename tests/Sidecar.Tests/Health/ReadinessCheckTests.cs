using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Polly.CircuitBreaker;
using Sidecar.Health;

namespace Sidecar.Tests.Health;

public sealed class ReadinessCheckTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger _logger = new();
    private readonly ReadinessState _state = new();

    public ReadinessCheckTests() => _state.MarkStarted();

    private ReadinessCheck Check(Func<IReadOnlyList<BreakerSnapshot>> breakers) =>
        new(_state, TestOptions.Live(TestOptions.Create()), breakers, _time, _logger);

    [Fact]
    public async Task Check_TwoBreakersWithTheSameDetailName_StaysHealthy()
    {
        var check = Check(() =>
        [
            new(CircuitBreakers.KeyScope, "team-a", CircuitState.Open),
            new(CircuitBreakers.KeyScope, "team-a", CircuitState.HalfOpen),
            new(CircuitBreakers.ModelScope, "gpt", CircuitState.Open, "upstream:443"),
        ]);

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("half-open", result.Data["circuit.key_ref.team-a"]);
        Assert.Equal("open", result.Data["circuit.model.upstream:443/gpt"]);
    }

    [Fact]
    public async Task Check_BreakerDetailsFail_StaysHealthyAndLogsAtMostOnceAMinute()
    {
        var check = Check(() => throw new InvalidOperationException("boom"));

        var first = await check.CheckHealthAsync(new HealthCheckContext());
        await check.CheckHealthAsync(new HealthCheckContext());
        _time.Advance(TimeSpan.FromMinutes(1));
        await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, first.Status);
        Assert.Empty(first.Data);
        var logged = _logger.Collector.GetSnapshot();
        Assert.Equal(2, logged.Count);
        Assert.All(logged, r =>
        {
            Assert.Equal(LogLevel.Error, r.Level);
            Assert.Equal(130, r.Id.Id);
            Assert.IsType<InvalidOperationException>(r.Exception);
        });
    }
}
