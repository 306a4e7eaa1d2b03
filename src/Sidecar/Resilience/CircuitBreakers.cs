using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Polly;
using Polly.CircuitBreaker;
using Sidecar.Clients;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.Keys;

namespace Sidecar.Resilience;

/// <summary>
/// The circuit breakers: one per upstream endpoint (by authority; endpoints come from configuration, so
/// they are few) and one per key reference and secret fingerprint (a rotated key starts afresh). Key
/// breakers live in a bounded cache with sliding expiry, so key_ref churn cannot grow memory; an evicted
/// breaker had seen no call for a long while. Polly keeps the state and runs on our <see cref="TimeProvider"/>.
/// </summary>
internal sealed class CircuitBreakers : IDisposable
{
    public const string EndpointScope = "endpoint";
    public const string KeyScope = "key_ref";

    private static readonly TimeSpan MinKeyIdle = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, Breaker> _endpoints = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<Breaker, byte> _troubledKeys = new();
    private readonly MemoryCache _keys;
    private readonly LiveOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public CircuitBreakers(LiveOptions options, TimeProvider time, SidecarMetrics metrics, ILogger<CircuitBreakers> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _keys = new MemoryCache(new MemoryCacheOptions
        {
            Clock = new TimeProviderClock(time),
            SizeLimit = Math.Max(1, options.Current.ClientCache.MaxEntries),
            ExpirationScanFrequency = TimeSpan.FromMinutes(1),
        });
        metrics.ObserveCircuitStates(() => Snapshot().Select(s => (s.Scope, s.Name, s.Value)));
    }

    private CircuitBreakerOptions Settings => _options.Current.Resilience.CircuitBreaker;

    /// <summary>The endpoint's breaker, or null when breakers are off.</summary>
    public Breaker? ForEndpoint(Uri endpoint) =>
        Settings.Enabled ? _endpoints.GetOrAdd(endpoint.Authority, static (name, self) => self.Create(EndpointScope, name, FailureScope.Endpoint), this) : null;

    /// <summary>The key reference's breaker (for this secret), or null when breakers are off.</summary>
    public Breaker? ForKey(ResolvedKey key)
    {
        var settings = Settings;
        if (!settings.Enabled)
        {
            return null;
        }

        var id = string.Concat(key.KeyRef, "|", key.Fingerprint);
        if (_keys.TryGetValue(id, out Breaker? known) && known is not null)
        {
            return known;
        }

        lock (_keys)
        {
            if (_keys.TryGetValue(id, out known) && known is not null)
            {
                return known;
            }

            var breaker = Create(KeyScope, key.KeyRef, FailureScope.Key);
            var idle = new[] { MinKeyIdle, settings.SamplingDuration * 2, settings.BreakDuration * 2 }.Max();
            var entry = new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = idle };
            entry.RegisterPostEvictionCallback(static (_, value, _, state) =>
            {
                if (value is Breaker gone)
                {
                    ((CircuitBreakers)state!)._troubledKeys.TryRemove(gone, out _);
                }
            }, this);
            _keys.Set(id, breaker, entry);
            return breaker;
        }
    }

    /// <summary>Every endpoint breaker, and the key breakers that are not closed (a closed one is news to nobody).</summary>
    public IReadOnlyList<BreakerSnapshot> Snapshot()
    {
        var list = new List<BreakerSnapshot>(_endpoints.Count + _troubledKeys.Count);
        foreach (var breaker in _endpoints.Values)
        {
            list.Add(breaker.Snapshot());
        }

        foreach (var breaker in _troubledKeys.Keys)
        {
            list.Add(breaker.Snapshot());
        }

        return list;
    }

    private Breaker Create(string scope, string name, FailureScope counts)
    {
        var settings = Settings;
        var state = new CircuitBreakerStateProvider();
        Breaker? self = null;
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = _time, Name = $"{scope}:{name}" }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = settings.FailureRatio,
                MinimumThroughput = settings.MinimumThroughput,
                SamplingDuration = settings.SamplingDuration,
                BreakDuration = settings.BreakDuration,
                StateProvider = state,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } ex && UpstreamFailures.Classify(ex).Scope == counts),
                OnOpened = args =>
                {
                    ResilienceLog.BreakerOpened(_logger, scope, name, args.BreakDuration.TotalSeconds, ResilienceLog.Describe(args.Outcome.Exception));
                    self!.LastFailure = ResilienceLog.Describe(args.Outcome.Exception);
                    if (counts == FailureScope.Key)
                    {
                        _troubledKeys[self] = 0;
                    }

                    return default;
                },
                OnHalfOpened = args =>
                {
                    ResilienceLog.BreakerHalfOpened(_logger, scope, name);
                    return default;
                },
                OnClosed = args =>
                {
                    ResilienceLog.BreakerClosed(_logger, scope, name);
                    _troubledKeys.TryRemove(self!, out _);
                    return default;
                },
            })
            .Build();
        self = new Breaker(scope, name, pipeline, state);
        return self;
    }

    public void Dispose() => _keys.Dispose();
}

/// <summary>One circuit breaker: its Polly pipeline and its state.</summary>
internal sealed class Breaker(string scope, string name, ResiliencePipeline pipeline, CircuitBreakerStateProvider state)
{
    /// <summary><see cref="CircuitBreakers.EndpointScope"/> or <see cref="CircuitBreakers.KeyScope"/>.</summary>
    public string Scope { get; } = scope;

    /// <summary>The endpoint's authority or the key reference's name.</summary>
    public string Name { get; } = name;

    public ResiliencePipeline Pipeline { get; } = pipeline;

    public CircuitState State => state.CircuitState;

    /// <summary>What made it open last, safe to show (an HTTP status or a failure's type).</summary>
    public string? LastFailure { get; set; }

    public BreakerSnapshot Snapshot() => new(Scope, Name, State);
}

/// <summary>A breaker's state at one moment, for readiness details and the state gauge.</summary>
internal readonly record struct BreakerSnapshot(string Scope, string Name, CircuitState State)
{
    /// <summary>The gauge's value: 0 closed, 1 half-open, 2 open (isolated counts as open).</summary>
    public int Value => State switch
    {
        CircuitState.Closed => 0,
        CircuitState.HalfOpen => 1,
        _ => 2,
    };

    public string StateName => State switch
    {
        CircuitState.Closed => "closed",
        CircuitState.HalfOpen => "half-open",
        CircuitState.Isolated => "isolated",
        _ => "open",
    };
}
