using System.Collections.Concurrent;
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
/// </summary>
internal sealed class CircuitBreakers : IDisposable
{
    public const string EndpointScope = "endpoint";
    public const string ModelScope = "model";
    public const string KeyScope = "key_ref";

    private static readonly TimeSpan MinIdle = TimeSpan.FromMinutes(10);
    private static readonly KeyEntrySlot<KeyBreaker> KeySlot = new();

    private readonly ConcurrentDictionary<string, Breaker> _endpoints = new(StringComparer.OrdinalIgnoreCase);
    private readonly BoundedCache<Breaker> _models;
    private readonly ClientCache _clients;
    private readonly LiveOptions _options;
    private readonly IUpstreamFailureClassifier _failures;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public CircuitBreakers(LiveOptions options, ClientCache clients, IUpstreamFailureClassifier failures, TimeProvider time, SidecarMetrics metrics, ILogger<CircuitBreakers> logger)
    {
        _options = options;
        _failures = failures;
        _clients = clients;
        _time = time;
        _logger = logger;
        var settings = options.Current;
        var breaker = settings.Resilience.CircuitBreaker;

        // Long enough that a breaker outlives its own window and break: one that saw no call for this
        // long has nothing left to say.
        var idle = new[] { MinIdle, breaker.SamplingDuration * 2, breaker.BreakDuration * 2 }.Max();
        _models = new BoundedCache<Breaker>(time, settings.ClientCache.MaxEntries, idle, absolute: null, TimeSpan.FromMinutes(1), StringComparer.Ordinal);
        metrics.ObserveCircuitStates(() => Snapshot().Select(s => (s.Scope, s.Name, s.Endpoint, s.Value)));
    }

    private CircuitBreakerOptions Settings => _options.Current.Resilience.CircuitBreaker;

    /// <summary>How many model breakers are held now (at most <c>ClientCache:MaxEntries</c>).</summary>
    internal int ModelBreakers => _models.Count;

    /// <summary>How many key breakers are held now (at most one per cached key ref).</summary>
    internal int KeyBreakers => _clients.Entries.Count(e => e.Peek(KeySlot) is not null);

    /// <summary>The endpoint's breaker, or null when breakers are off.</summary>
    public Breaker? ForEndpoint(Uri endpoint) =>
        Settings.Enabled ? _endpoints.GetOrAdd(endpoint.Authority, static (name, self) => self.Create(EndpointScope, name, null, FailureScope.Endpoint), this) : null;

    /// <summary>The breaker of <paramref name="model"/> at the endpoint, or null when breakers are off.</summary>
    public Breaker? ForModel(Uri endpoint, string model) =>
        Settings.Enabled
            ? _models.GetOrAdd(string.Concat(endpoint.Authority, " ", model), (self: this, endpoint.Authority, model), static (_, m) => m.self.Create(ModelScope, m.model, m.Authority, FailureScope.Model))
            : null;

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

        var entry = _clients.Entry(key);
        var current = entry.Peek(KeySlot);
        if (current is null || current.Fingerprint != key.Fingerprint)
        {
            current = entry.Update(KeySlot, (self: this, key), static (current, s) =>
                current is null || (current.Fingerprint != s.key.Fingerprint && s.key.Generation > current.Generation)
                    ? new KeyBreaker(s.self.Create(KeyScope, s.key.KeyRef, null, FailureScope.Key), s.key.Fingerprint, s.key.Generation)
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
        return (_endpoints.TryGetValue(key.Endpoint.Authority, out var endpoint) && IsOpen(endpoint, now))
            || (_models.TryGet(string.Concat(key.Endpoint.Authority, " ", model), out var forModel) && IsOpen(forModel, now))
            || (_clients.Peek(key)?.Peek(KeySlot) is { } forKey && forKey.Fingerprint == key.Fingerprint && IsOpen(forKey.Breaker, now));

        static bool IsOpen(Breaker breaker, DateTimeOffset now) =>
            breaker.State == CircuitState.Isolated || (breaker.State == CircuitState.Open && now < breaker.BrokenUntil);
    }

    /// <summary>
    /// Every endpoint breaker, and the model and key breakers that are not closed (a closed one is news to
    /// nobody). Each appears once: a key ref holds one breaker, its newest secret's.
    /// </summary>
    public IReadOnlyList<BreakerSnapshot> Snapshot()
    {
        var now = _time.GetUtcNow();
        var list = new List<BreakerSnapshot>(_endpoints.Count);
        foreach (var breaker in _endpoints.Values)
        {
            list.Add(breaker.Snapshot(now));
        }

        foreach (var breaker in _models.Values)
        {
            if (breaker.State != CircuitState.Closed)
            {
                list.Add(breaker.Snapshot(now));
            }
        }

        foreach (var entry in _clients.Entries)
        {
            if (entry.Peek(KeySlot) is { Breaker: var breaker } && breaker.State != CircuitState.Closed)
            {
                list.Add(breaker.Snapshot(now));
            }
        }

        return list;
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

    public void Dispose() => _models.Dispose();

    /// <summary>A key ref's breaker and the secret (and resolution) it counts for.</summary>
    private sealed record KeyBreaker(Breaker Breaker, string Fingerprint, long Generation);
}

