using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using OpenAI;
using Sidecar.Keys;

namespace Sidecar.Tests.Clients;

public sealed class ClientCacheTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
    private readonly CountingFactory _factory = new();
    private readonly TestMeterFactory _meters = new();
    private ClientCache? _cache;

    private ClientCache Cache(Action<ClientCacheOptions>? change = null)
    {
        var options = TestOptions.Create(o =>
        {
            o.ClientCache.SlidingExpiration = TimeSpan.FromMinutes(10);
            o.ClientCache.AbsoluteExpiration = TimeSpan.FromHours(1);
            o.ClientCache.ScanFrequency = TimeSpan.FromMinutes(1);
            change?.Invoke(o.ClientCache);
        });
        _cache = new ClientCache(_factory, TestOptions.Live(options), _time, new SidecarMetrics(_meters));
        return _cache;
    }

    private static ResolvedKey Key(string name, string secret = "sk-one") =>
        new(name, Providers.OpenAI, new Uri("http://127.0.0.1:1/v1"), secret, KeyResolver.Fingerprint(secret), models: null);

    /// <summary>team-a's client for the rotated key <c>sk-new</c> is the one cached and the one it gets; not <paramref name="other"/>.</summary>
    private static void AssertOnlyTheRotatedClientStays(ClientCache cache, OpenAIClient rotated, OpenAIClient other)
    {
        Assert.NotSame(other, rotated);
        Assert.Equal(1, cache.Count);
        Assert.Same(rotated, cache.GetOrCreate(Key("team-a", "sk-new")));
    }

    /// <summary>team-a's client, asked for every 9 minutes six times; what each ask returned.</summary>
    private List<OpenAIClient> UseEvery9MinutesFor54(ClientCache cache)
    {
        var used = new List<OpenAIClient>();
        for (var i = 0; i < 6; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(9));
            used.Add(cache.GetOrCreate(Key("team-a")));
        }

        return used;
    }

    [Fact]
    public void GetOrCreate_SameKeyTwice_CreatesOnceAndReturnsSameClient()
    {
        var cache = Cache();
        var first = cache.GetOrCreate(Key("team-a"));
        var second = cache.GetOrCreate(Key("team-a"));

        Assert.Same(first, second);
        Assert.Equal(1, _factory.Created);
    }

    [Fact]
    public async Task Reload_KeyRefNoLongerConfigured_ItsEntryLeavesAtOnceAndTheOthersStay()
    {
        static Dictionary<string, string?> KeyRefs(params string[] names) =>
            names.ToDictionary(n => $"Sidecar:Keys:{n}:ApiKey", _ => (string?)"sk-configured");
        var configuration = new SwappableConfiguration(KeyRefs("team-a", "team-b"));
        using var live = Reloads.Live(configuration.Root());
        _cache = new ClientCache(_factory, live, _time, new SidecarMetrics(_meters));
        using var evictions = new MetricCollector<long>(_meters, SidecarMetrics.MeterName, "sidecar.client_cache.evictions");
        var teamA = _cache.GetOrCreate(Key("team-a"));
        _cache.GetOrCreate(Key("team-b"));
        // A keys-directory key ref is never in the configuration: a reload leaves it alone.
        var fromDirectory = _cache.GetOrCreate(Key("from-directory"));

        var reload = live.NextReload;
        configuration.Replace(KeyRefs("team-a"));
        await reload.WaitAsync(Timeout);

        Assert.False(live.Current.Keys.ContainsKey("team-b"));
        Assert.Equal(2, _cache.Count);
        Assert.Null(_cache.Peek(Key("team-b")));
        Assert.Same(teamA, _cache.GetOrCreate(Key("team-a")));
        Assert.Same(fromDirectory, _cache.GetOrCreate(Key("from-directory")));
        Assert.Equal(3, _factory.Created);
        // The eviction callback runs on the thread pool.
        await evictions.WaitForMeasurementsAsync(1).WaitAsync(Timeout);
        Assert.Equal("removed", Assert.Single(evictions.GetMeasurementSnapshot()).Tags["reason"]);
    }

    [Fact]
    public void GetOrCreate_HitBeforeSlidingExpiry_RefreshesTheEntry()
    {
        var cache = Cache();
        var client = cache.GetOrCreate(Key("team-a"));

        // Used every 9 minutes for an hour less a bit: a 10-minute sliding window never closes.
        Assert.All(UseEvery9MinutesFor54(cache), used => Assert.Same(client, used));
        Assert.Equal(1, _factory.Created);
    }

    [Fact]
    public void GetOrCreate_UnusedPastSlidingExpiry_CreatesANewClient()
    {
        var cache = Cache();
        var client = cache.GetOrCreate(Key("team-a"));

        _time.Advance(TimeSpan.FromMinutes(11));

        Assert.NotSame(client, cache.GetOrCreate(Key("team-a")));
        Assert.Equal(2, _factory.Created);
    }

    [Fact]
    public void GetOrCreate_PastAbsoluteExpiration_CreatesANewClientEvenWhenUsedOften()
    {
        var cache = Cache();
        var client = cache.GetOrCreate(Key("team-a"));
        UseEvery9MinutesFor54(cache);

        _time.Advance(TimeSpan.FromMinutes(9)); // 63 minutes since creation: past the 1-hour cap

        Assert.NotSame(client, cache.GetOrCreate(Key("team-a")));
        Assert.Equal(2, _factory.Created);
    }

    [Fact]
    public void GetOrCreate_ChurnOf10000Refs_NeverHoldsMoreThanMaxEntries()
    {
        var cache = Cache(o => o.MaxEntries = 100);
        var most = 0;
        for (var i = 0; i < 10_000; i++)
        {
            cache.GetOrCreate(Key($"ref-{i}"));
            most = Math.Max(most, cache.Count);
        }

        Assert.InRange(most, 1, 100);
        Assert.Equal(10_000, _factory.Created);
    }

    [Fact]
    public async Task GetOrCreate_100ConcurrentMisses_CreateExactlyOneClient()
    {
        var cache = Cache();
        _factory.Gate = new ManualResetEventSlim(false);
        using var ready = new CountdownEvent(100);
        var tasks = Enumerable.Range(0, 100).Select(_ => Task.Factory.StartNew(
            () =>
            {
                ready.Signal();
                return cache.GetOrCreate(Key("team-a"));
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();

        // Hold the first creation until every caller is running, so they all miss together.
        Assert.True(ready.Wait(Timeout));
        _factory.Gate.Set();
        var clients = await Task.WhenAll(tasks).WaitAsync(Timeout);

        Assert.Equal(1, _factory.Created);
        Assert.All(clients, c => Assert.Same(clients[0], c));
    }

    [Fact]
    public void GetOrCreate_RotatedSecret_CreatesNewClientAndRetiresTheOld()
    {
        var cache = Cache();
        var old = cache.GetOrCreate(Key("team-a", "sk-old"));

        var rotated = cache.GetOrCreate(Key("team-a", "sk-new"));

        Assert.NotSame(old, rotated);
        Assert.Equal(2, _factory.Created);
        Assert.Equal(1, cache.Count);
        Assert.Same(rotated, cache.GetOrCreate(Key("team-a", "sk-new")));
    }

    [Fact]
    public async Task GetOrCreate_ExpiredEntryRecreatedThenRotated_RetiresTheRecreatedClient()
    {
        // The eviction of an expired client and the creation of its successor interleaved: the expired
        // entry's eviction callback (run later, on the thread pool) removed the successor's "newest
        // client" record, so the next rotation left the old secret's client behind.
        using var evictions = new MetricCollector<long>(_meters, SidecarMetrics.MeterName, "sidecar.client_cache.evictions");
        var cache = Cache();
        cache.GetOrCreate(Key("team-a", "sk-old"));
        _time.Advance(TimeSpan.FromMinutes(11));

        var recreated = cache.GetOrCreate(Key("team-a", "sk-old"));
        await evictions.WaitForMeasurementsAsync(1).WaitAsync(Timeout);
        var rotated = cache.GetOrCreate(Key("team-a", "sk-new"));

        AssertOnlyTheRotatedClientStays(cache, rotated, recreated);
    }

    [Fact]
    public void GetOrCreate_CallThatResolvedBeforeTheRotation_DoesNotUndoIt()
    {
        var cache = Cache();
        var old = Key("team-a", "sk-old");
        var rotated = cache.GetOrCreate(Key("team-a", "sk-new"));

        var stale = cache.GetOrCreate(old);

        AssertOnlyTheRotatedClientStays(cache, rotated, stale);
    }

    [Fact]
    public void Entries_UnusedPastSlidingExpiration_AreDroppedWithoutAnyFurtherCall()
    {
        var cache = Cache();
        cache.GetOrCreate(Key("team-a"));
        cache.GetOrCreate(Key("team-b"));

        _time.Advance(TimeSpan.FromMinutes(11));

        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void GetOrCreate_ChurnPastMaxEntries_KeepsTheKeyRefsInUse()
    {
        var cache = Cache(o => o.MaxEntries = 100);
        var hot = cache.GetOrCreate(Key("hot"));
        for (var i = 0; i < 1_000; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
            cache.GetOrCreate(Key($"ref-{i}"));
            Assert.Same(hot, cache.GetOrCreate(Key("hot")));
        }

        Assert.InRange(cache.Count, 1, 100);
        Assert.Equal(1_001, _factory.Created);
    }

    [Fact]
    public void GetOrCreate_HitsAndMisses_AreCounted()
    {
        using var hits = new MetricCollector<long>(_meters, SidecarMetrics.MeterName, "sidecar.client_cache.hits");
        using var misses = new MetricCollector<long>(_meters, SidecarMetrics.MeterName, "sidecar.client_cache.misses");
        using var creations = new MetricCollector<long>(_meters, SidecarMetrics.MeterName, "sidecar.client_cache.creations");
        var cache = Cache();

        cache.GetOrCreate(Key("a"));
        cache.GetOrCreate(Key("a"));
        cache.GetOrCreate(Key("a"));
        cache.GetOrCreate(Key("b"));

        Assert.Equal(2, hits.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(2, misses.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(2, creations.GetMeasurementSnapshot().EvaluateAsCounter());
    }

    public void Dispose()
    {
        _cache?.Dispose();
        _meters.Dispose();
    }

    private sealed class CountingFactory : IOpenAIClientFactory
    {
        private int _created;

        public int Created => Volatile.Read(ref _created);

        public ManualResetEventSlim? Gate { get; set; }

        public OpenAIClient Create(ResolvedKey key)
        {
            Gate?.Wait(Timeout);
            Interlocked.Increment(ref _created);
            return new OpenAIClient(new System.ClientModel.ApiKeyCredential(key.Secret), new OpenAIClientOptions { Endpoint = key.Endpoint });
        }
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
