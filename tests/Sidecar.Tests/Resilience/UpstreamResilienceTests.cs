using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Polly.CircuitBreaker;
using Sidecar.Keys;

namespace Sidecar.Tests.Resilience;

/// <summary>Retries and circuit breakers around upstream attempts, on a fake clock.</summary>
public sealed class UpstreamResilienceTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(5);
    private const string Model = "gpt-test";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly SidecarOptions _options = TestOptions.Create(o =>
    {
        o.DefaultEndpoint = Failures.Endpoint;
        o.Resilience.Retry = new RetryOptions { MaxRetries = 0, BaseDelay = TimeSpan.Zero, UseJitter = false, MinAttemptTime = TimeSpan.Zero };
        o.Resilience.CircuitBreaker = new CircuitBreakerOptions
        {
            FailureRatio = 0.5,
            MinimumThroughput = 100,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = BreakDuration,
        };
    });

    private readonly SidecarMetrics _metrics = new(Failures.Meters());
    private readonly ClientCache _clients;
    private readonly CircuitBreakers _breakers;
    private readonly UpstreamResilience _resilience;
    private int _attempts;

    public UpstreamResilienceTests()
    {
        var live = TestOptions.Live(_options);
        _clients = Failures.Clients(_options, _time, _metrics);
        _breakers = new CircuitBreakers(live, _clients, Failures.Classifier, _time, _metrics, NullLogger<CircuitBreakers>.Instance);
        _resilience = new UpstreamResilience(live, _breakers, Failures.Classifier, _metrics, _time, NullLogger.Instance, () => 0.5);
    }

    public void Dispose()
    {
        _breakers.Dispose();
        _clients.Dispose();
        _metrics.Dispose();
    }

    [Fact]
    public async Task Execute_TwoTransientFailuresThenAnAnswer_SucceedsOnTheThirdAttemptAndCountsTwoRetries()
    {
        _options.Resilience.Retry.MaxRetries = 2;
        using var retries = new MetricCollector<long>(_metrics.Meter, "sidecar.upstream.retries");
        using var attempts = new MetricCollector<long>(_metrics.Meter, "sidecar.upstream.attempts");

        var answer = await RunAsync(Failures.TeamA, Failures.Http(503), Failures.Http(502));

        Assert.Equal("ok", answer);
        Assert.Equal(3, _attempts);
        Assert.Equal(2, retries.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(3, attempts.GetMeasurementSnapshot().EvaluateAsCounter());
    }

    [Fact]
    public async Task Execute_EveryAttemptFails_GivesUpAfterMaxRetriesWithTheUpstreamError()
    {
        _options.Resilience.Retry.MaxRetries = 2;

        var error = await Assert.ThrowsAsync<SidecarException>(() => RunAsync(Failures.TeamA, Failures.Http(503), Failures.Http(503), Failures.Http(503), Failures.Http(503)));

        Assert.Equal(SidecarError.UpstreamUnavailable, error.Error);
        Assert.Equal(3, _attempts);
    }

    [Fact]
    public async Task Execute_BadRequest_IsTriedOnce()
    {
        _options.Resilience.Retry.MaxRetries = 2;

        var error = await Assert.ThrowsAsync<SidecarException>(() => RunAsync(Failures.TeamA, Failures.Http(400)));

        Assert.Equal(SidecarError.UpstreamRejected, error.Error);
        Assert.Equal(1, _attempts);
    }

    [Theory]
    [InlineData(1000, null, 1000)] // no Retry-After: the backoff (1 s, no jitter)
    [InlineData(10, "3", 3000)] // Retry-After: 3 s, what the upstream asked, instead of the 10 ms backoff
    public async Task Execute_RetryableFailure_WaitsOnTheClockTheBackoffOrWhatTheUpstreamAsked(int baseDelayMs, string? retryAfter, int waitMs)
    {
        _options.Resilience.Retry.MaxRetries = 1;
        _options.Resilience.Retry.BaseDelay = TimeSpan.FromMilliseconds(baseDelayMs);

        var call = RunAsync(Failures.TeamA, retryAfter is null ? Failures.Http(503) : Failures.RetryAfter(429, retryAfter));

        Assert.Equal(1, _attempts);
        _time.Advance(TimeSpan.FromMilliseconds(waitMs - 1));
        Assert.Equal(1, _attempts);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("ok", await call.WaitAsync(Timeout));
        Assert.Equal(2, _attempts);
    }

    [Fact]
    public async Task Execute_DeadlineTooNearForAnotherAttempt_ReturnsTheUpstreamErrorAtOnce()
    {
        _options.Resilience.Retry = new RetryOptions { MaxRetries = 2, BaseDelay = TimeSpan.FromSeconds(1), UseJitter = false, MinAttemptTime = TimeSpan.FromSeconds(1) };
        var deadline = _time.GetUtcNow().UtcDateTime.AddSeconds(1.5);

        var error = await Assert.ThrowsAsync<SidecarException>(() => RunAsync(Failures.TeamA, deadline, Failures.Http(503)));

        Assert.Equal(SidecarError.UpstreamUnavailable, error.Error);
        Assert.Equal(1, _attempts);
    }

    [Fact]
    public async Task Execute_CallerCancelsDuringAnAttempt_IsACancellationAndNotRetried()
    {
        _options.Resilience.Retry.MaxRetries = 2;
        using var cancel = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _resilience.ExecuteAsync<string>(
            Failures.TeamA,
            Model,
            DateTime.MaxValue,
            ct =>
            {
                _attempts++;
                cancel.Cancel();
                return Task.FromException<string>(new HttpRequestException("aborted", new OperationCanceledException(ct)));
            },
            cancel.Token));

        Assert.Equal(1, _attempts);
    }

    [Fact]
    public async Task Execute_TheCallsOwnFailuresOpenTheBreaker_ReportsTheUpstreamsErrorNotARefusal()
    {
        _options.Resilience.Retry.MaxRetries = 2;
        _options.Resilience.CircuitBreaker.MinimumThroughput = 2;

        var error = await Assert.ThrowsAsync<SidecarException>(() => RunAsync(Failures.TeamA, Failures.Http(503), Failures.Http(503), Failures.Http(503)));

        Assert.Equal(SidecarError.UpstreamUnavailable, error.Error);
        Assert.Equal(2, _attempts);
        Assert.Equal(CircuitState.Open, _breakers.ForModel(Failures.TeamA.Endpoint, Model)!.State);
    }

    [Fact]
    public async Task Execute_RepeatedModelFailures_OpenThatModelsBreakerForEveryKeyAndNoOtherModel()
    {
        await FailTwiceAsync(Failures.TeamA, 503);

        var refused = await Assert.ThrowsAsync<SidecarException>(() => RunAsync(Failures.TeamA));

        Assert.Equal(SidecarError.CircuitOpen, refused.Error);
        Assert.Equal(2, _attempts);
        Assert.Equal(BreakDuration, refused.RetryAfter);
        Assert.Equal(CircuitBreakers.ModelScope, refused.Metadata!["circuit"]);
        Assert.Equal(Model, refused.Metadata["model"]);
        Assert.Equal("HTTP 503", refused.Metadata["last_failure"]);
        Assert.Equal(CircuitState.Open, _breakers.ForModel(Failures.TeamA.Endpoint, Model)!.State);
        Assert.Equal(CircuitState.Closed, _breakers.ForEndpoint(Failures.TeamA.Endpoint)!.State);

        // Every key calling that model on that endpoint is refused too; another model is not.
        var other = await Assert.ThrowsAsync<SidecarException>(() => RunAsync(Failures.TeamB));
        Assert.Equal(SidecarError.CircuitOpen, other.Error);
        Assert.Equal(2, _attempts);
        Assert.Equal("ok", await RunAsync(Failures.TeamB, "gpt-other"));
        Assert.Equal(3, _attempts);
    }

    [Fact]
    public async Task Execute_RepeatedConnectionFailures_OpenTheEndpointsBreakerForEveryModel()
    {
        _options.Resilience.CircuitBreaker.MinimumThroughput = 2;
        for (var i = 0; i < 2; i++)
        {
            await Assert.ThrowsAsync<SidecarException>(() => RunAsync(Failures.TeamA, Failures.ConnectionRefused()));
        }

        var refused = await Assert.ThrowsAsync<SidecarException>(() => RunAsync(Failures.TeamB, "gpt-other"));

        Assert.Equal(SidecarError.CircuitOpen, refused.Error);
        Assert.Equal(CircuitBreakers.EndpointScope, refused.Metadata!["circuit"]);
        Assert.Equal(2, _attempts);
        Assert.Equal(CircuitState.Open, _breakers.ForEndpoint(Failures.TeamA.Endpoint)!.State);
    }

    [Fact]
    public async Task Execute_AfterTheBreak_OneProbeGoesThroughAndItsSuccessClosesTheBreaker()
    {
        await FailTwiceAsync(Failures.TeamA, 503);
        _time.Advance(BreakDuration - TimeSpan.FromMilliseconds(1));
        Assert.Equal(SidecarError.CircuitOpen, (await Assert.ThrowsAsync<SidecarException>(() => RunAsync(Failures.TeamA))).Error);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        var answer = await RunAsync(Failures.TeamA);

        Assert.Equal("ok", answer);
        Assert.Equal(3, _attempts);
        Assert.Equal(CircuitState.Closed, _breakers.ForModel(Failures.TeamA.Endpoint, Model)!.State);
    }

    [Fact]
    public async Task Execute_TheProbeFails_TheBreakerOpensAgain()
    {
        await FailTwiceAsync(Failures.TeamA, 503);
        _time.Advance(BreakDuration);

        await Assert.ThrowsAsync<SidecarException>(() => RunAsync(Failures.TeamA, Failures.Http(503)));
        var refused = await Assert.ThrowsAsync<SidecarException>(() => RunAsync(Failures.TeamA));

        Assert.Equal(SidecarError.CircuitOpen, refused.Error);
        Assert.Equal(3, _attempts);
    }

    [Fact]
    public async Task Execute_ManyBadRequests_NeverOpenAnyBreaker()
    {
        for (var i = 0; i < 10; i++)
        {
            var error = await Assert.ThrowsAsync<SidecarException>(() => RunAsync(Failures.TeamA, Failures.Http(400)));
            Assert.Equal(SidecarError.UpstreamRejected, error.Error);
        }

        Assert.Equal("ok", await RunAsync(Failures.TeamA));
        Assert.Equal(11, _attempts);
        Assert.All(_breakers.Snapshot(), b => Assert.Equal(CircuitState.Closed, b.State));
    }

    [Fact]
    public async Task Execute_RepeatedAuthFailures_OpenThatKeysBreakerOnly()
    {
        await FailTwiceAsync(Failures.TeamA, 401);

        var refused = await Assert.ThrowsAsync<SidecarException>(() => RunAsync(Failures.TeamA));
        var otherKey = await RunAsync(Failures.TeamB);

        Assert.Equal(SidecarError.CircuitOpen, refused.Error);
        Assert.Equal(CircuitBreakers.KeyScope, refused.Metadata!["circuit"]);
        Assert.Contains("key_ref 'team-a'", refused.Message);
        Assert.Equal("ok", otherKey);
        Assert.Equal(3, _attempts);
        Assert.Equal(CircuitState.Closed, _breakers.ForEndpoint(Failures.TeamA.Endpoint)!.State);
        var snapshot = _breakers.Snapshot();
        Assert.Contains(new BreakerSnapshot(CircuitBreakers.KeyScope, "team-a", CircuitState.Open), snapshot);
        Assert.Contains(new BreakerSnapshot(CircuitBreakers.EndpointScope, "upstream.test:8080", CircuitState.Closed), snapshot);
        Assert.DoesNotContain(snapshot, b => b.Name == "team-b");
    }

    [Fact]
    public async Task Execute_RotatedSecret_StartsWithAClosedKeyBreakerAndDropsTheOldOne()
    {
        await FailTwiceAsync(Failures.Key("team-a", fingerprint: "fp1"));

        var rotated = Failures.Key("team-a", fingerprint: "fp2");
        var answer = await RunAsync(rotated);

        Assert.Equal("ok", answer);
        Assert.Equal(3, _attempts);
        Assert.Equal(1, _breakers.KeyBreakers);
        Assert.DoesNotContain(_breakers.Snapshot(), b => b.Scope == CircuitBreakers.KeyScope);
    }

    [Fact]
    public async Task Execute_RotatedSecretsBreakerOpensToo_SnapshotNamesEachBreakerOnce()
    {
        await FailTwiceAsync(Failures.Key("team-a", fingerprint: "fp1"));
        await FailTwiceAsync(Failures.Key("team-a", fingerprint: "fp2"));

        var snapshot = _breakers.Snapshot();

        Assert.Equal(snapshot.Count, snapshot.Select(b => b.DetailName).Distinct().Count());
        Assert.Single(snapshot, b => b.Scope == CircuitBreakers.KeyScope && b.State == CircuitState.Open);
    }

    [Fact]
    public async Task Execute_CallThatResolvedTheKeyBeforeARotation_IsNotCountedAgainstTheNewSecret()
    {
        var old = Failures.Key("team-a", fingerprint: "fp1");
        var rotated = Failures.Key("team-a", fingerprint: "fp2");
        Assert.Equal("ok", await RunAsync(rotated));

        await FailTwiceAsync(old);

        Assert.Equal("ok", await RunAsync(rotated));
        Assert.Null(_breakers.ForKey(old));
        Assert.Equal(CircuitState.Closed, _breakers.ForKey(rotated)!.State);
    }

    [Fact]
    public async Task Execute_ChurnOfManyMoreKeyRefsAndModelsThanMaxEntries_HoldsAtMostMaxEntriesOfEach()
    {
        _options.ClientCache.MaxEntries = 50;
        using var clients = Failures.Clients(_options, _time, _metrics);
        using var breakers = new CircuitBreakers(TestOptions.Live(_options), clients, Failures.Classifier, _time, _metrics, NullLogger<CircuitBreakers>.Instance);
        var resilience = new UpstreamResilience(TestOptions.Live(_options), breakers, Failures.Classifier, _metrics, _time, NullLogger.Instance, () => 0.5);
        var most = (Keys: 0, Models: 0);
        for (var i = 0; i < 2_000; i++)
        {
            await resilience.ExecuteAsync(Failures.Key($"ref-{i}"), $"model-{i}", DateTime.MaxValue, _ => Task.FromResult("ok"), CancellationToken.None);
            most = (Math.Max(most.Keys, breakers.KeyBreakers), Math.Max(most.Models, breakers.ModelBreakers));
        }

        Assert.InRange(most.Keys, 1, 50);
        Assert.InRange(most.Models, 1, 50);
    }

    [Fact]
    public async Task ModelBreakers_IdleLongerThanTheirWindow_AreDroppedWithoutAnyFurtherCall()
    {
        await FailTwiceAsync(Failures.TeamA, 503);
        Assert.Equal(1, _breakers.ModelBreakers);

        // The idle limit is at least 10 minutes; the sweep runs every minute on the fake clock.
        _time.Advance(TimeSpan.FromMinutes(11));

        Assert.Equal(0, _breakers.ModelBreakers);
        Assert.DoesNotContain(_breakers.Snapshot(), b => b.Scope == CircuitBreakers.ModelScope);
    }

    [Fact]
    public async Task Snapshot_OpenKeyBreakerWhoseBreakEnded_ReadsHalfOpenWithoutAnyFurtherCall()
    {
        await FailTwiceAsync(Failures.TeamA);
        Assert.Contains(new BreakerSnapshot(CircuitBreakers.KeyScope, "team-a", CircuitState.Open), _breakers.Snapshot());

        _time.Advance(BreakDuration);

        Assert.Contains(new BreakerSnapshot(CircuitBreakers.KeyScope, "team-a", CircuitState.HalfOpen), _breakers.Snapshot());
        Assert.Equal(2, _attempts);
    }

    [Fact]
    public async Task Execute_BreakersTurnedOff_NeverRefuse()
    {
        _options.Resilience.CircuitBreaker.Enabled = false;

        await FailTwiceAsync(Failures.TeamA, 503);
        await FailTwiceAsync(Failures.TeamA, 503);

        Assert.Equal("ok", await RunAsync(Failures.TeamA));
        Assert.Equal(5, _attempts);
        Assert.Empty(_breakers.Snapshot());
    }

    private async Task FailTwiceAsync(ResolvedKey key, int status = 401)
    {
        _options.Resilience.CircuitBreaker.MinimumThroughput = 2;
        for (var i = 0; i < 2; i++)
        {
            var error = await Assert.ThrowsAsync<SidecarException>(() => RunAsync(key, Failures.Http(status)));
            Assert.NotEqual(SidecarError.CircuitOpen, error.Error);
        }
    }

    private Task<string> RunAsync(ResolvedKey key, params Exception[] failures) => RunAsync(key, Model, DateTime.MaxValue, failures);

    private Task<string> RunAsync(ResolvedKey key, string model, params Exception[] failures) => RunAsync(key, model, DateTime.MaxValue, failures);

    private Task<string> RunAsync(ResolvedKey key, DateTime deadline, params Exception[] failures) => RunAsync(key, Model, deadline, failures);

    /// <summary>Runs one call whose attempts throw <paramref name="failures"/> in turn, then answer "ok".</summary>
    private Task<string> RunAsync(ResolvedKey key, string model, DateTime deadline, params Exception[] failures)
    {
        var next = 0;
        return _resilience.ExecuteAsync(
            key,
            model,
            deadline,
            _ =>
            {
                _attempts++;
                return next < failures.Length ? Task.FromException<string>(failures[next++]) : Task.FromResult("ok");
            },
            CancellationToken.None);
    }
}
