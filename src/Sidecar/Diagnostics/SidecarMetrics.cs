using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Caching.Memory;

namespace Sidecar.Diagnostics;

/// <summary>
/// Every instrument of the <c>Sidecar</c> meter. Labels stay low-cardinality: values that callers
/// choose (model, key_ref) pass through a <see cref="BoundedLabel"/> so a caller cannot grow the series.
/// </summary>
internal sealed class SidecarMetrics : IDisposable
{
    public const string MeterName = "Sidecar";

    /// <summary>The <c>target</c> label of a call that reached no target (refused before, or by validation).</summary>
    public const string NoTarget = "none";

    // LLM calls last from milliseconds to minutes; the daemon's own share is microseconds.
    private static readonly InstrumentAdvice<double> CallBuckets = new()
    {
        HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    };

    private static readonly InstrumentAdvice<double> OverheadBuckets = new()
    {
        HistogramBucketBoundaries = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
    };

    private readonly Meter _meter;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _cacheMisses;
    private readonly Counter<long> _cacheCreations;
    private readonly Counter<long> _cacheEvictions;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<double> _overhead;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _upstreamAttempts;
    private readonly Counter<long> _upstreamRetries;
    private readonly UpDownCounter<long> _inFlightStreams;
    private readonly Counter<long> _localLimitRefusals;
    private readonly Counter<long> _fallbacks;
    private readonly BoundedLabel _models = new(limit: 100);
    private readonly BoundedLabel _keyRefs = new(limit: 100);

    public SidecarMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _cacheHits = _meter.CreateCounter<long>("sidecar.client_cache.hits", description: "Requests served by a cached upstream client.");
        _cacheMisses = _meter.CreateCounter<long>("sidecar.client_cache.misses", description: "Requests that found no cached client.");
        _cacheCreations = _meter.CreateCounter<long>("sidecar.client_cache.creations", description: "Upstream clients built.");
        _cacheEvictions = _meter.CreateCounter<long>("sidecar.client_cache.evictions", description: "Clients that left the cache, by reason.");
        _requests = _meter.CreateCounter<long>("sidecar.requests", description: "Finished calls by rpc, model, gRPC status code and target.");
        _duration = _meter.CreateHistogram("sidecar.request.duration", unit: "s", description: "Call duration as the daemon saw it, by rpc, code and target.", tags: null, advice: CallBuckets);
        _timeToFirstToken = _meter.CreateHistogram("sidecar.stream.time_to_first_token", unit: "s", description: "Time from the call's start to its first streamed chunk.", tags: null, advice: CallBuckets);
        _overhead = _meter.CreateHistogram("sidecar.request.overhead", unit: "s", description: "Time the daemon added: call duration minus time spent waiting on the upstream.", tags: null, advice: OverheadBuckets);
        _tokens = _meter.CreateCounter<long>("sidecar.tokens", unit: "{token}", description: "Tokens reported by the upstream, by kind, key_ref, model and target.");
        _upstreamAttempts = _meter.CreateCounter<long>("sidecar.upstream.attempts", description: "HTTP attempts made to upstreams.");
        _upstreamRetries = _meter.CreateCounter<long>("sidecar.upstream.retries", description: "Attempts that were retries of a failed one.");
        _inFlightStreams = _meter.CreateUpDownCounter<long>("sidecar.streams.in_flight", description: "Streams being relayed now.");
        _localLimitRefusals = _meter.CreateCounter<long>("sidecar.limits.refused", description: "Calls refused by a local limit, by limit (streams, rate, concurrency).");
        _fallbacks = _meter.CreateCounter<long>("sidecar.upstream.fallbacks", description: "Calls a target handed on to the next one (pool member or fallback), by from, to and reason.");
    }

    public Meter Meter => _meter;

    public void CacheHit() => _cacheHits.Add(1);

    public void CacheMiss() => _cacheMisses.Add(1);

    public void CacheCreated() => _cacheCreations.Add(1);

    public void CacheEvicted(EvictionReason reason) =>
        _cacheEvictions.Add(1, new KeyValuePair<string, object?>("reason", ReasonName(reason)));

    public void ObserveCacheEntries(Func<int> entries) =>
        _meter.CreateObservableGauge("sidecar.client_cache.entries", () => entries(), description: "Upstream clients cached now.");

    public void StreamStarted() => _inFlightStreams.Add(1);

    public void StreamEnded() => _inFlightStreams.Add(-1);

    public void LocalLimitRefused(string limit) => _localLimitRefusals.Add(1, new KeyValuePair<string, object?>("limit", limit));

    /// <summary>The gauge <c>sidecar.circuit.state</c> (0 closed, 1 half-open, 2 open): every endpoint breaker, tagged
    /// <c>endpoint</c> (an authority from configuration); model breakers that are not closed, tagged <c>endpoint</c> and
    /// <c>model</c> (a model that passed validation on a resolved key, through the bounded model label); and key breakers
    /// that are not closed, tagged <c>key_ref</c>.</summary>
    public void ObserveCircuitStates(Func<IEnumerable<(string Scope, string Name, string? Endpoint, int State)>> states) =>
        _meter.CreateObservableGauge(
            "sidecar.circuit.state",
            () => states().Select(s => s.Scope switch
            {
                "key_ref" => new Measurement<int>(
                    s.State,
                    new KeyValuePair<string, object?>("scope", s.Scope),
                    new KeyValuePair<string, object?>("key_ref", _keyRefs.Of(s.Name))),
                "model" => new Measurement<int>(
                    s.State,
                    new KeyValuePair<string, object?>("scope", s.Scope),
                    new KeyValuePair<string, object?>("endpoint", s.Endpoint),
                    new KeyValuePair<string, object?>("model", _models.Of(s.Name))),
                _ => new Measurement<int>(
                    s.State,
                    new KeyValuePair<string, object?>("scope", s.Scope),
                    new KeyValuePair<string, object?>(s.Scope, s.Name)),
            }),
            description: "Circuit breaker state: 0 closed, 1 half-open, 2 open.");

    public void UpstreamAttempt(bool retry)
    {
        _upstreamAttempts.Add(1);
        if (retry)
        {
            _upstreamRetries.Add(1);
        }
    }

    /// <summary>A call moved from one target to the next; both are configured key refs, the reason a contract name.</summary>
    public void Fallback(string from, string to, string reason) =>
        _fallbacks.Add(1, new TagList { { "from", _keyRefs.Of(from) }, { "to", _keyRefs.Of(to) }, { "reason", reason } });

    /// <param name="target">The key ref of the target that answered, or was tried last; <c>none</c> when the call reached none.</param>
    public void RequestFinished(string rpc, string model, string code, double seconds, double? upstreamSeconds, string target)
    {
        var targetLabel = TargetLabel(target);
        _requests.Add(1, new TagList { { "rpc", rpc }, { "model", _models.Of(model) }, { "code", code }, { "target", targetLabel } });
        _duration.Record(seconds, new TagList { { "rpc", rpc }, { "code", code }, { "target", targetLabel } });
        if (upstreamSeconds is { } upstream)
        {
            _overhead.Record(Math.Max(0, seconds - upstream), new KeyValuePair<string, object?>("rpc", rpc));
        }
    }

    public void FirstToken(double seconds) => _timeToFirstToken.Record(seconds);

    /// <summary>
    /// Tokens of a call on <paramref name="keyRef"/>, the key ref the agent named, served by
    /// <paramref name="target"/>: under routing the account that spent them may be another key ref's.
    /// </summary>
    public void Tokens(string keyRef, string model, V1.Usage? usage, string target)
    {
        if (usage is null)
        {
            return;
        }

        var key = _keyRefs.Of(keyRef);
        var m = _models.Of(model);
        var t = TargetLabel(target);
        Add("prompt", usage.PromptTokens);
        Add("completion", usage.CompletionTokens);
        Add("cached", usage.CachedPromptTokens);
        Add("reasoning", usage.ReasoningTokens);

        void Add(string kind, int count)
        {
            if (count > 0)
            {
                _tokens.Add(count, new TagList { { "kind", kind }, { "key_ref", key }, { "model", m }, { "target", t } });
            }
        }
    }

    // Targets are configured key refs, so they share the key_ref label's bound.
    private string TargetLabel(string target) => target == NoTarget ? NoTarget : _keyRefs.Of(target);

    private static string ReasonName(EvictionReason reason) => reason switch
    {
        EvictionReason.Removed => "removed",
        EvictionReason.Replaced => "replaced",
        EvictionReason.Expired => "expired",
        EvictionReason.TokenExpired => "token_expired",
        EvictionReason.Capacity => "capacity",
        _ => "other",
    };

    public void Dispose() => _meter.Dispose();
}
