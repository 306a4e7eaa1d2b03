using Sidecar.Clients;
using Sidecar.Diagnostics;
using Sidecar.Resilience;

namespace Sidecar.Tests.Resilience;

public sealed class LocalLimitsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly SidecarOptions _options = TestOptions.Create();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly SidecarMetrics _metrics = new(Failures.Meters());
    private readonly ClientCache _clients;
    private readonly LocalLimits _limits;

    public LocalLimitsTests()
    {
        _clients = Failures.Clients(_options, _time, _metrics);
        _limits = new LocalLimits(TestOptions.Live(_options), _clients, _time, _metrics);
    }

    public void Dispose()
    {
        _limits.Dispose();
        _clients.Dispose();
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

        var limits = _limits.For("team-a");
        using var held = await _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None);

        Assert.Equal(new KeyLimits(1, 0, 1000), limits);
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
        Assert.Equal(TimeSpan.FromSeconds(30), refused.RetryAfter);
        (await _limits.AcquireAsync(Failures.TeamB, stream: false, CancellationToken.None)).Dispose();
    }

    [Fact]
    public async Task Acquire_OverRequestsPerMinute_RefillsOneTokenPerShareOfTheMinute()
    {
        _options.Resilience.Limits = new KeyLimitsOptions { RequestsPerMinute = 2 };
        (await _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None)).Dispose();
        (await _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None)).Dispose();

        _time.Advance(TimeSpan.FromSeconds(29));
        var early = await Assert.ThrowsAsync<SidecarException>(() => _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None).AsTask());
        _time.Advance(TimeSpan.FromSeconds(1));
        (await _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None)).Dispose();

        Assert.Equal(TimeSpan.FromSeconds(1), early.RetryAfter);
        await Assert.ThrowsAsync<SidecarException>(() => _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None).AsTask());
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
    public async Task Acquire_UnlimitedKey_KeepsNoLimiters()
    {
        _options.Resilience.Limits = new KeyLimitsOptions { MaxConcurrentRequests = 0, RequestsPerMinute = 0 };

        (await _limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None)).Dispose();

        Assert.Equal(0, _limits.KeysWithLimiters);
    }

    [Fact]
    public async Task Acquire_ChurnOfManyMoreKeyRefsThanMaxEntries_KeepsLimitersForAtMostMaxEntries()
    {
        // The bench saw 14 000 limiter partitions under churn with MaxEntries 1 000.
        _options.ClientCache.MaxEntries = 100;
        using var clients = Failures.Clients(_options, _time, _metrics);
        var limits = new LocalLimits(TestOptions.Live(_options), clients, _time, _metrics);
        _options.Resilience.Limits = new KeyLimitsOptions { MaxConcurrentRequests = 4, QueueLimit = 4, RequestsPerMinute = 600 };
        var most = 0;
        for (var i = 0; i < 5_000; i++)
        {
            (await limits.AcquireAsync(Failures.Key($"ref-{i}"), stream: false, CancellationToken.None)).Dispose();
            most = Math.Max(most, limits.KeysWithLimiters);
        }

        Assert.InRange(most, 1, 100);
        Assert.InRange(clients.Count, 1, 100);
    }

    [Fact]
    public async Task Acquire_KeyRefEvictedWhileACallHoldsItsSlot_TheSlotIsReleasedWhereItWasTaken()
    {
        _options.ClientCache.MaxEntries = 1;
        using var clients = Failures.Clients(_options, _time, _metrics);
        var limits = new LocalLimits(TestOptions.Live(_options), clients, _time, _metrics);
        _options.Resilience.Limits = new KeyLimitsOptions { MaxConcurrentRequests = 1, QueueLimit = 0 };
        var held = await limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None);

        // team-b takes the only entry: team-a's limiter leaves with it, and its held slot stays valid.
        (await limits.AcquireAsync(Failures.TeamB, stream: false, CancellationToken.None)).Dispose();
        held.Dispose();

        Assert.Equal(1, clients.Count);
        (await limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None)).Dispose();
    }
}
