using Sidecar.Keys;

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

    /// <summary>One call at a time per key, <paramref name="queueLimit"/> more waiting.</summary>
    private void OneAtATime(int queueLimit) => _options.Resilience.Limits = new KeyLimitsOptions { MaxConcurrentRequests = 1, QueueLimit = queueLimit };

    /// <summary>Releases <paramref name="held"/>: the waiting call gets the slot, and releases it in turn.</summary>
    private static async Task HandOverAsync(IDisposable held, Task<IDisposable> waiting)
    {
        held.Dispose();
        (await waiting.WaitAsync(Timeout)).Dispose();
    }

    /// <summary>A slot for <paramref name="key"/>'s call (unary unless <paramref name="stream"/>).</summary>
    private ValueTask<IDisposable> Acquire(ResolvedKey key, bool stream = false, CancellationToken cancellationToken = default) =>
        _limits.AcquireAsync(key, stream, cancellationToken);

    [Fact]
    public async Task Acquire_AllSlotsTaken_QueuesUpToTheQueueLimitThenRefuses()
    {
        OneAtATime(queueLimit: 1);
        var first = await Acquire(Failures.TeamA);

        var queued = Acquire(Failures.TeamA).AsTask();
        var refused = await Assert.ThrowsAsync<SidecarException>(() => Acquire(Failures.TeamA).AsTask());

        Assert.False(queued.IsCompleted);
        Assert.Equal(SidecarError.LocalLimit, refused.Error);
        Assert.Equal("concurrency", refused.Metadata!["limit"]);
        Assert.Equal(LocalLimits.ConcurrencyRetryAfter, refused.RetryAfter);

        await HandOverAsync(first, queued);
    }

    [Fact]
    public async Task Acquire_QueuedCallIsCancelled_LeavesTheQueue()
    {
        OneAtATime(queueLimit: 1);
        using var first = await Acquire(Failures.TeamA);
        using var cancel = new CancellationTokenSource();
        var queued = Acquire(Failures.TeamA, cancellationToken: cancel.Token).AsTask();

        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued.WaitAsync(Timeout));
        var next = Acquire(Failures.TeamA).AsTask();
        Assert.False(next.IsCompleted);
        await HandOverAsync(first, next);
    }

    [Fact]
    public async Task Acquire_OtherKeys_HaveSlotsOfTheirOwn()
    {
        OneAtATime(queueLimit: 0);
        using var a = await Acquire(Failures.TeamA);

        using var b = await Acquire(Failures.TeamB);

        await Assert.ThrowsAsync<SidecarException>(() => Acquire(Failures.TeamA).AsTask());
    }

    [Fact]
    public async Task Acquire_KeyWithItsOwnLimits_OverridesTheDefaultsValueByValue()
    {
        _options.Resilience.Limits = new KeyLimitsOptions { MaxConcurrentRequests = 5, QueueLimit = 0, RequestsPerMinute = 1000 };
        _options.Keys["team-a"] = new KeyRefOptions { ApiKey = "env:X", Limits = new KeyLimitsOptions { MaxConcurrentRequests = 1 } };

        var limits = _limits.For("team-a");
        using var held = await Acquire(Failures.TeamA);

        Assert.Equal(new KeyLimits(1, 0, 1000), limits);
        await Assert.ThrowsAsync<SidecarException>(() => Acquire(Failures.TeamA).AsTask());
    }

    [Fact]
    public async Task Acquire_OverRequestsPerMinute_RefusesTheNextCallWithTheBucketsWait()
    {
        _options.Resilience.Limits = new KeyLimitsOptions { RequestsPerMinute = 2 };

        (await Acquire(Failures.TeamA)).Dispose();
        (await Acquire(Failures.TeamA)).Dispose();
        var refused = await Assert.ThrowsAsync<SidecarException>(() => Acquire(Failures.TeamA).AsTask());

        Assert.Equal(SidecarError.LocalLimit, refused.Error);
        Assert.Equal("rate", refused.Metadata!["limit"]);
        Assert.Equal(TimeSpan.FromSeconds(30), refused.RetryAfter);
        (await Acquire(Failures.TeamB)).Dispose();
    }

    [Fact]
    public async Task Acquire_OverRequestsPerMinute_RefillsOneTokenPerShareOfTheMinute()
    {
        _options.Resilience.Limits = new KeyLimitsOptions { RequestsPerMinute = 2 };
        (await Acquire(Failures.TeamA)).Dispose();
        (await Acquire(Failures.TeamA)).Dispose();

        _time.Advance(TimeSpan.FromSeconds(29));
        var early = await Assert.ThrowsAsync<SidecarException>(() => Acquire(Failures.TeamA).AsTask());
        _time.Advance(TimeSpan.FromSeconds(1));
        (await Acquire(Failures.TeamA)).Dispose();

        Assert.Equal(TimeSpan.FromSeconds(1), early.RetryAfter);
        await Assert.ThrowsAsync<SidecarException>(() => Acquire(Failures.TeamA).AsTask());
    }

    [Fact]
    public async Task Acquire_StreamsOverTheGlobalCap_AreRefusedWhileUnaryCallsGoOn()
    {
        _options.Resilience.MaxConcurrentStreams = 1;
        var stream = await Acquire(Failures.TeamA, stream: true);

        var refused = await Assert.ThrowsAsync<SidecarException>(() => Acquire(Failures.TeamB, stream: true).AsTask());
        using var unary = await Acquire(Failures.TeamB);

        Assert.Equal("streams", refused.Metadata!["limit"]);
        stream.Dispose();
        (await Acquire(Failures.TeamB, stream: true)).Dispose();
    }

    [Fact]
    public async Task Acquire_RefusedByTheRateLimit_DoesNotHoldAStreamSlot()
    {
        _options.Resilience.MaxConcurrentStreams = 1;
        _options.Resilience.Limits = new KeyLimitsOptions { RequestsPerMinute = 1 };
        (await Acquire(Failures.TeamA, stream: true)).Dispose();

        await Assert.ThrowsAsync<SidecarException>(() => Acquire(Failures.TeamA, stream: true).AsTask());

        (await Acquire(Failures.TeamB, stream: true)).Dispose();
    }

    [Fact]
    public async Task Acquire_UnlimitedKey_KeepsNoLimiters()
    {
        _options.Resilience.Limits = new KeyLimitsOptions { MaxConcurrentRequests = 0, RequestsPerMinute = 0 };

        (await Acquire(Failures.TeamA)).Dispose();

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
        OneAtATime(queueLimit: 0);
        var held = await limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None);

        // team-b takes the only entry: team-a's limiter leaves with it, and its held slot stays valid.
        (await limits.AcquireAsync(Failures.TeamB, stream: false, CancellationToken.None)).Dispose();
        held.Dispose();

        Assert.Equal(1, clients.Count);
        (await limits.AcquireAsync(Failures.TeamA, stream: false, CancellationToken.None)).Dispose();
    }
}
