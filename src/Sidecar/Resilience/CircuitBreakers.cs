using System.Collections.Concurrent;
using System.Collections.Frozen;
using Polly;
using Polly.CircuitBreaker;
using Sidecar.Caching;
using Sidecar.Clients;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.Keys;

namespace Sidecar.Resilience;

/// <summary>
/// The circuit breakers. Per upstream endpoint (by authority; endpoints come from configuration, so they
/// are few): connection failures, where no HTTP answer came at all. Per endpoint and model: 5xx, 408 and
/// timeouts, so one failing model never refuses another tenant's calls to a healthy one. Per key ref and
/// secret fingerprint: 401, 403 and 429. A key's breaker lives in its <see cref="KeyEntry"/> in the
/// <see cref="ClientCache"/> and leaves with it; a rotated secret replaces it at once. Model breakers
/// are held for the calls' models (which passed validation on a resolved key) in a cache bounded by
/// <c>ClientCache:MaxEntries</c> and dropped after a long idle spell, swept by a timer whether or not
/// calls come. Polly keeps the state and runs on our <see cref="TimeProvider"/>.
/// <para>
/// A configuration reload keeps the breakers of endpoints still configured, with their state (an open one
/// stays open: an unrelated reload must not hide an outage), and drops those of endpoints no key ref can
/// resolve to any more, so breakers and their gauge series follow the configuration, not the number of
/// reloads. A change to <c>Sidecar:Resilience:CircuitBreaker</c> drops every breaker; each is built again
/// with the new settings by the next call that needs it (see <see cref="OnChanged"/> for why). Either way
/// the breakers dropped while not closed are named in one log line. A call holding a dropped breaker
/// finishes on it: a breaker needs no disposing, and it is garbage afterwards.
/// </para>
/// </summary>
internal sealed class CircuitBreakers : IDisposable
{
    public const string EndpointScope = "endpoint";
    public const string ModelScope = "model";
    public const string KeyScope = "key_ref";

    private static readonly TimeSpan MinIdle = TimeSpan.FromMinutes(10);
    private static readonly KeyEntrySlot<KeyBreaker> KeySlot = new();

    /// <summary>The most breakers one reload's log line names; the rest are counted.</summary>
    private const int LoggedNames = 10;

    private readonly ClientCache _clients;
    private readonly LiveOptions _options;
    private readonly IUpstreamFailureClassifier _failures;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxModels;

    // Taken to add an endpoint or model breaker (a miss, rare) and by a reload: a call that resolved its
    // key before the reload can never add back a breaker the reload has just dropped.
    private readonly object _gate = new();
    private BreakerSet _set;
    private FrozenSet<string> _inUse;
    private bool _disposed;

    public CircuitBreakers(LiveOptions options, ClientCache clients, IUpstreamFailureClassifier failures, TimeProvider time, SidecarMetrics metrics, ILogger<CircuitBreakers> logger)
    {
        _options = options;
        _failures = failures;
        _clients = clients;
        _time = time;
        _logger = logger;
        var settings = options.Current;
        _maxModels = settings.ClientCache.MaxEntries;
        _set = NewSet(settings.Resilience.CircuitBreaker, number: 0);
        _inUse = EndpointsInUse(settings);
        options.Changed += OnChanged;
        metrics.ObserveCircuitStates(() => Snapshot().Select(s => (s.Scope, s.Name, s.Endpoint, s.Value)));
    }

    private CircuitBreakerOptions Settings => _options.Current.Resilience.CircuitBreaker;

    private BreakerSet Set => Volatile.Read(ref _set);

    /// <summary>How many endpoint breakers are held now (at most one per endpoint in the configuration).</summary>
    internal int EndpointBreakers => Set.Endpoints.Count;

    /// <summary>How many model breakers are held now (at most <c>ClientCache:MaxEntries</c>).</summary>
    internal int ModelBreakers => Set.Models.Count;

    /// <summary>How many key breakers are held now (at most one per cached key ref).</summary>
    internal int KeyBreakers => _clients.Entries.Count(e => e.Peek(KeySlot) is not null);

    /// <summary>
    /// The endpoint's breaker, or null when breakers are off or no key ref resolves to the endpoint any more
    /// (a call that resolved its key before a reload moved it: such a call goes on without one).
    /// </summary>
    public Breaker? ForEndpoint(Uri endpoint)
    {
        if (!Settings.Enabled)
        {
            return null;
        }

        var set = Set;
        if (set.Endpoints.TryGetValue(endpoint.Authority, out var breaker))
        {
            return breaker;
        }

        lock (_gate)
        {
            return Volatile.Read(ref _inUse).Contains(endpoint.Authority)
                ? set.Endpoints.GetOrAdd(endpoint.Authority, static (name, self) => self.Create(EndpointScope, name, null, FailureScope.Endpoint), this)
                : null;
        }
    }

    /// <summary>
    /// The breaker of <paramref name="model"/> at the endpoint, or null when breakers are off or no key ref
    /// resolves to the endpoint any more.
    /// </summary>
    public Breaker? ForModel(Uri endpoint, string model)
    {
        if (!Settings.Enabled)
        {
            return null;
        }

        var models = Set.Models;
        var name = string.Concat(endpoint.Authority, " ", model);
        if (models.TryGet(name, out var breaker))
        {
            return breaker;
        }

        lock (_gate)
        {
            return Volatile.Read(ref _inUse).Contains(endpoint.Authority)
                ? models.GetOrAdd(name, (self: this, endpoint.Authority, model), static (_, m) => m.self.Create(ModelScope, m.model, m.Authority, FailureScope.Model))
                : null;
        }
    }

    /// <summary>
    /// The key reference's breaker for this secret, or null when breakers are off, or when the call
    /// resolved the key before a rotation the entry already follows (it is not counted against the new secret).
    /// </summary>
    public Breaker? ForKey(ResolvedKey key)
    {
        if (!Settings.Enabled)
        {
            return null;
        }

        var set = Set.Number;
        var entry = _clients.Entry(key);
        var current = entry.Peek(KeySlot);
        if (current is null || current.Fingerprint != key.Fingerprint || current.Set < set)
        {
            // Replaced when it was built for older breaker settings, or for a secret this resolution rotated
            // away; never by a call that read older settings or resolved the key before a rotation.
            current = entry.Update(KeySlot, (self: this, key, set), static (current, s) =>
                current is null
                || (current.Set <= s.set && (current.Fingerprint == s.key.Fingerprint ? current.Set < s.set : s.key.Generation > current.Generation))
                    ? new KeyBreaker(s.self.Create(KeyScope, s.key.KeyRef, null, FailureScope.Key), s.key.Fingerprint, s.key.Generation, s.set)
                    : current);
        }

        return current.Fingerprint == key.Fingerprint ? current.Breaker : null;
    }

    /// <summary>
    /// Whether a breaker would refuse a call to <paramref name="model"/> with this key now: its key's, the
    /// model's at its endpoint, or the endpoint's is open and its break has not ended (one whose break
    /// ended lets the next call probe). Reads only; creates no breaker. The router skips such a target.
    /// </summary>
    public bool Refuses(ResolvedKey key, string model)
    {
        if (!Settings.Enabled)
        {
            return false;
        }

        var now = _time.GetUtcNow();
        var set = Set;
        return (set.Endpoints.TryGetValue(key.Endpoint.Authority, out var endpoint) && IsOpen(endpoint, now))
            || (set.Models.TryGet(string.Concat(key.Endpoint.Authority, " ", model), out var forModel) && IsOpen(forModel, now))
            || (_clients.Peek(key)?.Peek(KeySlot) is { } forKey && forKey.Set == set.Number && forKey.Fingerprint == key.Fingerprint && IsOpen(forKey.Breaker, now));

        static bool IsOpen(Breaker breaker, DateTimeOffset now) =>
            breaker.State == CircuitState.Isolated || (breaker.State == CircuitState.Open && now < breaker.BrokenUntil);
    }

    /// <summary>
    /// Every endpoint breaker, and the model and key breakers that are not closed (a closed one is news to
    /// nobody). Each appears once: a key ref holds one breaker, its newest secret's. A key breaker built for
    /// breaker settings a reload changed is gone already, though its entry still holds it until its next call.
    /// </summary>
    public IReadOnlyList<BreakerSnapshot> Snapshot()
    {
        var now = _time.GetUtcNow();
        var set = Set;
        var list = new List<BreakerSnapshot>(set.Endpoints.Count);
        foreach (var breaker in set.Endpoints.Values)
        {
            list.Add(breaker.Snapshot(now));
        }

        foreach (var breaker in set.Models.Values)
        {
            if (breaker.State != CircuitState.Closed)
            {
                list.Add(breaker.Snapshot(now));
            }
        }

        foreach (var breaker in KeyBreakersOf(set.Number))
        {
            if (breaker.State != CircuitState.Closed)
            {
                list.Add(breaker.Snapshot(now));
            }
        }

        return list;
    }

    /// <summary>
    /// Applies a reloaded configuration. Endpoints no key ref resolves to any more lose their endpoint and
    /// model breakers; the others keep theirs, state and all. Changed breaker settings drop every breaker
    /// instead, to be built again with them on next use. Polly fixes a breaker's thresholds, window and
    /// break when it builds it, and endpoint breakers never leave on their own: kept, they would run on
    /// the old settings for the life of the process, and what a setting means would depend on which
    /// breakers happened to exist. An operator who changes them (say, a shorter break during an outage)
    /// expects them to apply now, to every breaker, as they would after a restart; a reset breaker opens
    /// again after <c>MinimumThroughput</c> failures if the upstream is still down. Those dropped while
    /// not closed are logged, once for the reload, so the reset of an open breaker is never silent.
    /// </summary>
    private void OnChanged(SidecarOptions _)
    {
        List<Breaker> dropped;
        string why;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            // The newest configuration, not necessarily the one this event carries: two reloads' events
            // may run in either order, and the last to run must leave the breakers of the newest.
            var options = _options.Current;
            var inUse = EndpointsInUse(options);
            Volatile.Write(ref _inUse, inUse);
            var set = _set;
            if (set.Settings == options.Resilience.CircuitBreaker)
            {
                dropped = [];
                foreach (var (authority, breaker) in set.Endpoints)
                {
                    if (!inUse.Contains(authority) && set.Endpoints.TryRemove(KeyValuePair.Create(authority, breaker)))
                    {
                        dropped.Add(breaker);
                    }
                }

                dropped.AddRange(set.Models.RemoveWhere(b => !inUse.Contains(b.Endpoint!)));
                why = "their endpoints are no longer in the configuration";
            }
            else
            {
                Volatile.Write(ref _set, NewSet(options.Resilience.CircuitBreaker, set.Number + 1));
                dropped = [.. set.Endpoints.Values, .. set.Models.Values, .. KeyBreakersOf(set.Number)];
                set.Dispose();
                why = "Sidecar:Resilience:CircuitBreaker changed; they start closed with the new settings";
            }
        }

        var open = dropped.Where(b => b.State != CircuitState.Closed).Select(b => $"{b.Scope} {b.Id}").ToList();
        if (open.Count > 0)
        {
            var names = string.Join(", ", open.Take(LoggedNames)) + (open.Count > LoggedNames ? $" and {open.Count - LoggedNames} more" : string.Empty);
            ResilienceLog.BreakersDropped(_logger, open.Count, why, names);
        }
    }

    /// <summary>The authorities of every endpoint a key ref of <paramref name="options"/> can resolve to.</summary>
    private static FrozenSet<string> EndpointsInUse(SidecarOptions options) =>
        KeyResolver.Endpoints(options).Select(e => e.Authority).ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The key breakers held for set <paramref name="number"/>.</summary>
    private IEnumerable<Breaker> KeyBreakersOf(long number) =>
        _clients.Entries.Select(e => e.Peek(KeySlot)).Where(k => k is not null && k.Set == number).Select(k => k!.Breaker);

    private BreakerSet NewSet(CircuitBreakerOptions settings, long number)
    {
        // Long enough that a breaker outlives its own window and break: one that saw no call for this
        // long has nothing left to say.
        var idle = new[] { MinIdle, settings.SamplingDuration * 2, settings.BreakDuration * 2 }.Max();
        return new BreakerSet(number, settings with { }, new BoundedCache<Breaker>(_time, _maxModels, idle, absolute: null, TimeSpan.FromMinutes(1), StringComparer.Ordinal));
    }

    private Breaker Create(string scope, string name, string? endpoint, FailureScope counts)
    {
        var settings = Settings;
        var state = new CircuitBreakerStateProvider();
        Breaker? self = null;
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = _time, Name = scope }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = settings.FailureRatio,
                MinimumThroughput = settings.MinimumThroughput,
                SamplingDuration = settings.SamplingDuration,
                BreakDuration = settings.BreakDuration,
                StateProvider = state,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } ex && _failures.Classify(ex).Scope == counts),
                OnOpened = args =>
                {
                    ResilienceLog.BreakerOpened(_logger, scope, self!.Id, args.BreakDuration.TotalSeconds, _failures.Describe(args.Outcome.Exception));
                    self.LastFailure = _failures.Describe(args.Outcome.Exception);
                    self.BrokenUntil = _time.GetUtcNow() + args.BreakDuration;
                    return default;
                },
                OnHalfOpened = args =>
                {
                    ResilienceLog.BreakerHalfOpened(_logger, scope, self!.Id);
                    return default;
                },
                OnClosed = args =>
                {
                    ResilienceLog.BreakerClosed(_logger, scope, self!.Id);
                    return default;
                },
            })
            .Build();
        self = new Breaker(scope, name, endpoint, pipeline, state);
        return self;
    }

    public void Dispose()
    {
        _options.Changed -= OnChanged;
        lock (_gate)
        {
            _disposed = true;
            _set.Dispose();
        }
    }

    /// <summary>A key ref's breaker, the secret (and resolution) it counts for, and the <see cref="BreakerSet"/> whose settings built it.</summary>
    private sealed record KeyBreaker(Breaker Breaker, string Fingerprint, long Generation, long Set);

    /// <summary>
    /// The endpoint and model breakers built for one reading of the breaker settings (<paramref name="settings"/>,
    /// compared by value), numbered so a key breaker can say which set it belongs to.
    /// </summary>
    private sealed class BreakerSet(long number, CircuitBreakerOptions settings, BoundedCache<Breaker> models) : IDisposable
    {
        public long Number { get; } = number;

        public CircuitBreakerOptions Settings { get; } = settings;

        public ConcurrentDictionary<string, Breaker> Endpoints { get; } = new(StringComparer.OrdinalIgnoreCase);

        public BoundedCache<Breaker> Models { get; } = models;

        public void Dispose() => Models.Dispose();
    }
}

