using System.Diagnostics.Metrics;
using Sidecar.Diagnostics;

namespace Sidecar.ResponseCache;

/// <summary>Cache lookups by result; the key_ref label only ever holds configured key refs with a cache.</summary>
internal sealed class ResponseCacheMetrics
{
    private readonly Counter<long> _lookups;

    public ResponseCacheMetrics(IMeterFactory meterFactory)
    {
        Meter = meterFactory.Create(SidecarMetrics.MeterName);
        _lookups = Meter.CreateCounter<long>("sidecar.response_cache.lookups", description: "Cacheable calls by key_ref and result (hit: no upstream was called; miss).");
    }

    public Meter Meter { get; }

    public void Hit(string keyRef) => Lookup(keyRef, "hit");

    public void Miss(string keyRef) => Lookup(keyRef, "miss");

    private void Lookup(string keyRef, string result) =>
        _lookups.Add(1, new KeyValuePair<string, object?>("key_ref", keyRef), new KeyValuePair<string, object?>("result", result));
}
