using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.Errors;
using Sidecar.Resilience;

namespace Sidecar.Tests.Resilience;

public sealed class LocalLimitsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly SidecarOptions _options = TestOptions.Create();
    private readonly SidecarMetrics _metrics = new(Failures.Meters());
    private readonly LocalLimits _limits;

    public LocalLimitsTests()
    {
        _limits = new LocalLimits(TestOptions.Live(_options), _metrics);
    }

    public void Dispose()
    {
        _limits.Dispose();
        _metrics.Dispose();
    }

    [Fact]
    public async Task Acquire_AllSlotsTaken_QueuesUpToTheQueueLimitThenRefuses()
    {
        _options.Resilience.Limits = new KeyLimitsOptions { MaxConcurrentRequests = 1, QueueLimit = 1 };
        var first = await _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None);

        var queued = _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None).AsTask();
        var refused = await Assert.ThrowsAsync<SidecarException>(() => _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None).AsTask());

        Assert.False(queued.IsCompleted);
        Assert.Equal(SidecarError.LocalLimit, refused.Error);
        Assert.Equal("concurrency", refused.Metadata!["limit"]);
        Assert.Equal(LocalLimits.ConcurrencyRetryAfter, refused.RetryAfter);

        first.Dispose();
        (await queued.WaitAsync(Timeout)).Dispose();
    }

    [Fact]
    public async Task Acquire_QueuedCallIsCancelled_LeavesTheQueue()
    {
        _options.Resilience.Limits = new KeyLimitsOptions { MaxConcurrentRequests = 1, QueueLimit = 1 };
        using var first = await _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var queued = _limits.AcquireAsync(Failures.TeamA, stream: false, cancel.Token).AsTask();

        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued.WaitAsync(Timeout));
        var next = _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);
        first.Dispose();
        (await next.WaitAsync(Timeout)).Dispose();
    }

    [Fact]
    public async Task Acquire_OtherKeys_HaveSlotsOfTheirOwn()
    {
        _options.Resilience.Limits = new KeyLimitsOptions { MaxConcurrentRequests = 1, QueueLimit = 0 };
        using var a = await _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None);

        using var b = await _limits.AcquireAsync(Failures.TeamB, stream: false, CancellationToken.None);

        await Assert.ThrowsAsync<SidecarException>(() => _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task Acquire_KeyWithItsOwnLimits_OverridesTheDefaultsValueByValue()
    {
        _options.Resilience.Limits = new KeyLimitsOptions { MaxConcurrentRequests = 5, QueueLimit = 0, RequestsPerMinute = 1000 };
        _options.Keys["team-a"] = new KeyRefOptions { ApiKey = "env:X", Limits = new KeyLimitsOptions { MaxConcurrentRequests = 1 } };

        var (concurrency, rate) = _limits.For("team-a");
        using var held = await _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None);

        Assert.Equal(new LocalLimits.ConcurrencyKey("team-a", 1, 0), concurrency);
        Assert.Equal(new LocalLimits.RateKey("team-a", 1000), rate);
        await Assert.ThrowsAsync<SidecarException>(() => _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task Acquire_OverRequestsPerMinute_RefusesTheNextCallWithTheBucketsWait()
    {
        _options.Resilience.Limits = new KeyLimitsOptions { RequestsPerMinute = 2 };

        (await _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None)).Dispose();
        (await _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None)).Dispose();
        var refused = await Assert.ThrowsAsync<SidecarException>(() => _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None).AsTask());

        Assert.Equal(SidecarError.LocalLimit, refused.Error);
        Assert.Equal("rate", refused.Metadata!["limit"]);
        Assert.InRange(refused.RetryAfter!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        (await _limits.AcquireAsync(Failures.TeamB, stream: false, CancellationToken.None)).Dispose();
    }

    [Fact]
    public async Task Acquire_StreamsOverTheGlobalCap_AreRefusedWhileUnaryCallsGoOn()
    {
        _options.Resilience.MaxConcurrentStreams = 1;
        var stream = await _limits.AcquireAsync(Failures.TeamA, stream: true, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<SidecarException>(() => _limits.AcquireAsync(Failures.TeamB, stream: true, CancellationToken.None).AsTask());
        using var unary = await _limits.AcquireAsync(Failures.TeamB, stream: false, CancellationToken.None);

        Assert.Equal("streams", refused.Metadata!["limit"]);
        stream.Dispose();
        (await _limits.AcquireAsync(Failures.TeamB, stream: true, CancellationToken.None)).Dispose();
    }

    [Fact]
    public async Task Acquire_RefusedByTheRateLimit_DoesNotHoldAStreamSlot()
    {
        _options.Resilience.MaxConcurrentStreams = 1;
        _options.Resilience.Limits = new KeyLimitsOptions { RequestsPerMinute = 1 };
        (await _limits.AcquireAsync(Failures.TeamA, stream: true, CancellationToken.None)).Dispose();

        await Assert.ThrowsAsync<SidecarException>(() => _limits.AcquireAsync(Failures.TeamA, stream: true, CancellationToken.None).AsTask());

        (await _limits.AcquireAsync(Failures.TeamB, stream: true, CancellationToken.None)).Dispose();
    }

    [Fact]
    public void For_UnlimitedKeys_ShareOnePartition()
    {
        _options.Resilience.Limits = new KeyLimitsOptions { MaxConcurrentRequests = 0, RequestsPerMinute = 0 };

        Assert.Equal(_limits.For("team-a"), _limits.For("team-b"));
    }

    [Theory]
    [InlineData(10, 1, 6000)]
    [InlineData(60, 1, 1000)]
    [InlineData(90, 2, 1333)]
    [InlineData(6000, 100, 1000)]
    public void TokenBucket_RefillsTheMinutesWorthEvenly(int perMinute, int perPeriod, int periodMs)
    {
        var bucket = LocalLimits.TokenBucket(perMinute);

        Assert.Equal(perMinute, bucket.TokenLimit);
        Assert.Equal(perPeriod, bucket.TokensPerPeriod);
        Assert.Equal(periodMs, (int)bucket.ReplenishmentPeriod.TotalMilliseconds);
    }
}
