using System.Net.Sockets;
using Sidecar.Upstream;

namespace Sidecar.Tests.Resilience;

public sealed class RetryPlannerTests
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly RetryOptions _options = new() { MaxRetries = 2, BaseDelay = TimeSpan.FromMilliseconds(500), MaxDelay = TimeSpan.FromSeconds(10), UseJitter = false };

    private DateTime NoDeadline => DateTime.MaxValue;

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public void Decide_TransientStatus_RetriesAfterTheBackoff(int status)
    {
        var decision = RetryPlanner.Decide(Failures.Http(status), Failures.Classifier, 0, _time.GetUtcNow(), NoDeadline, _options, random: 0.5);

        Assert.Equal(new RetryDecision(true, TimeSpan.FromMilliseconds(500)), decision);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(422)]
    [InlineData(501)]
    public void Decide_RequestOrKeyProblem_IsNotRetried(int status)
    {
        var decision = RetryPlanner.Decide(Failures.Http(status), Failures.Classifier, 0, _time.GetUtcNow(), NoDeadline, _options, random: 0.5);

        Assert.False(decision.Retry);
    }

    public static TheoryData<Exception> ConnectionFailures => new()
    {
        new HttpRequestException("connection refused", new SocketException((int)SocketError.ConnectionRefused)),
        new IOException("reset"),
        new SocketException((int)SocketError.ConnectionReset),
        new System.ClientModel.ClientResultException("no response"),
        new UpstreamTimeoutException("no first token within 1 s"),
    };

    [Theory]
    [MemberData(nameof(ConnectionFailures))]
    public void Decide_ConnectionFailureOrTimeout_IsRetried(Exception failure)
    {
        Assert.True(RetryPlanner.Decide(failure, Failures.Classifier, 0, _time.GetUtcNow(), NoDeadline, _options, random: 0.5).Retry);
    }

    [Fact]
    public void Decide_CancellationOrOurOwnError_IsNotRetried()
    {
        Assert.False(RetryPlanner.Decide(new OperationCanceledException(), Failures.Classifier, 0, _time.GetUtcNow(), NoDeadline, _options, 0.5).Retry);
        Assert.False(RetryPlanner.Decide(new InvalidOperationException(), Failures.Classifier, 0, _time.GetUtcNow(), NoDeadline, _options, 0.5).Retry);
    }

    [Fact]
    public void Decide_RetriesUsedUp_StopsAtMaxRetries()
    {
        Assert.True(RetryPlanner.Decide(Failures.Http(503), Failures.Classifier, 1, _time.GetUtcNow(), NoDeadline, _options, 0.5).Retry);
        Assert.False(RetryPlanner.Decide(Failures.Http(503), Failures.Classifier, 2, _time.GetUtcNow(), NoDeadline, _options, 0.5).Retry);
        _options.MaxRetries = 0;
        Assert.False(RetryPlanner.Decide(Failures.Http(503), Failures.Classifier, 0, _time.GetUtcNow(), NoDeadline, _options, 0.5).Retry);
    }

    [Fact]
    public void Decide_RetryAfterWithinTheCap_WaitsWhatTheUpstreamAsked()
    {
        var decision = RetryPlanner.Decide(Failures.RetryAfter(429, "2"), Failures.Classifier, 0, _time.GetUtcNow(), NoDeadline, _options, 0.5);

        Assert.Equal(new RetryDecision(true, TimeSpan.FromSeconds(2)), decision);
    }

    [Fact]
    public void Decide_RetryAfterMs_WinsOverRetryAfter()
    {
        var failure = Failures.Http(503, "{}", ("Retry-After", "1"), ("retry-after-ms", "150"));

        var decision = RetryPlanner.Decide(failure, Failures.Classifier, 0, _time.GetUtcNow(), NoDeadline, _options, 0.5);

        Assert.Equal(TimeSpan.FromMilliseconds(150), decision.Delay);
    }

    [Fact]
    public void Decide_RetryAfterAsAnHttpDate_IsHonoured()
    {
        var when = _time.GetUtcNow().AddSeconds(30).ToString("R");

        var decision = RetryPlanner.Decide(Failures.RetryAfter(503, when), new UpstreamFailures(_time), 0, _time.GetUtcNow(), NoDeadline, new RetryOptions { MaxRetryAfter = TimeSpan.FromMinutes(1) }, 0.5);

        Assert.True(decision.Retry);
        Assert.Equal(TimeSpan.FromSeconds(30), decision.Delay);
    }

    [Fact]
    public void Decide_RetryAfterOverTheCap_IsLeftToTheCaller()
    {
        _options.MaxRetryAfter = TimeSpan.FromSeconds(1);

        var decision = RetryPlanner.Decide(Failures.RetryAfter(429, "2"), Failures.Classifier, 0, _time.GetUtcNow(), NoDeadline, _options, 0.5);

        Assert.False(decision.Retry);
    }

    [Fact]
    public void Decide_QuotaExhausted429_IsNotRetried()
    {
        var failure = Failures.Http(429, "{\"error\":{\"message\":\"You exceeded your current quota\",\"code\":\"insufficient_quota\"}}");

        Assert.False(RetryPlanner.Decide(failure, Failures.Classifier, 0, _time.GetUtcNow(), NoDeadline, _options, 0.5).Retry);
    }

    [Fact]
    public void Decide_DeadlineLeavesNoTimeForAnotherAttempt_DoesNotRetry()
    {
        // The wait (500 ms) plus the least time an attempt needs (1 s) must fit before the deadline.
        var deadline = (_time.GetUtcNow() + TimeSpan.FromMilliseconds(1499)).UtcDateTime;
        Assert.False(RetryPlanner.Decide(Failures.Http(503), Failures.Classifier, 0, _time.GetUtcNow(), deadline, _options, 0.5).Retry);

        deadline = (_time.GetUtcNow() + TimeSpan.FromMilliseconds(1500)).UtcDateTime;
        Assert.True(RetryPlanner.Decide(Failures.Http(503), Failures.Classifier, 0, _time.GetUtcNow(), deadline, _options, 0.5).Retry);

        // Later on the same clock, the same deadline is too near.
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(RetryPlanner.Decide(Failures.Http(503), Failures.Classifier, 0, _time.GetUtcNow(), deadline, _options, 0.5).Retry);
    }

    [Fact]
    public void Decide_RetryAfterBeyondTheDeadline_DoesNotRetry()
    {
        var deadline = (_time.GetUtcNow() + TimeSpan.FromSeconds(2)).UtcDateTime;

        Assert.False(RetryPlanner.Decide(Failures.RetryAfter(429, "2"), Failures.Classifier, 0, _time.GetUtcNow(), deadline, _options, 0.5).Retry);
    }

    [Fact]
    public void Backoff_WithoutJitter_DoublesEachRetryUpToTheMaximum()
    {
        _options.MaxDelay = TimeSpan.FromSeconds(3);

        var delays = Enumerable.Range(0, 5).Select(attempt => RetryPlanner.Backoff(attempt, _options, random: 0.9)).ToArray();

        Assert.Equal([0.5, 1, 2, 3, 3], delays.Select(d => d.TotalSeconds));
    }

    [Theory]
    [InlineData(0.0, 375)]
    [InlineData(0.5, 500)]
    [InlineData(0.999999, 625)]
    public void Backoff_WithJitter_SpreadsOverAQuarterEitherWay(double random, int expectedMs)
    {
        _options.UseJitter = true;

        var delay = RetryPlanner.Backoff(0, _options, random);

        Assert.Equal(expectedMs, delay.TotalMilliseconds, precision: 0);
    }

    [Fact]
    public void Backoff_ManyRetries_NeverOverflowsPastTheMaximum()
    {
        Assert.Equal(_options.MaxDelay, RetryPlanner.Backoff(1000, _options, 0.5));
    }
}
