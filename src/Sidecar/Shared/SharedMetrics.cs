using System.Diagnostics.Metrics;
using Sidecar.Diagnostics;

namespace Sidecar.Shared;

/// <summary>The shared-state instruments, on the <c>Sidecar</c> meter. Labels are operation names, limit names
/// and configured key refs only.</summary>
internal sealed class SharedMetrics
{
    // An operation is bounded by Sidecar:Redis:OperationTimeout (default 50 ms); the buckets straddle it.
    private static readonly InstrumentAdvice<double> WaitBuckets = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    };

    private readonly Meter _meter;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _wait;
    private readonly Counter<long> _refused;

    public SharedMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(SidecarMetrics.MeterName);
        _errors = _meter.CreateCounter<long>("sidecar.redis.errors", description: "Redis operations that failed or ran out of time, by operation.");
        _wait = _meter.CreateHistogram("sidecar.redis.wait", unit: "s", description: "Time a call waited for one Redis operation, by operation.", tags: null, advice: WaitBuckets);
        _refused = _meter.CreateCounter<long>("sidecar.shared_limits.refused", description: "Calls refused by a shared limit or budget, by limit.");
    }

    public Meter Meter => _meter;

    public void Error(string operation) => _errors.Add(1, new KeyValuePair<string, object?>("operation", operation));

    public void Waited(string operation, double seconds) => _wait.Record(seconds, new KeyValuePair<string, object?>("operation", operation));

    public void Refused(string limit) => _refused.Add(1, new KeyValuePair<string, object?>("limit", limit));
}
