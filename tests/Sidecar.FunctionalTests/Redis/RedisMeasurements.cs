using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Sidecar.Shared;

namespace Sidecar.FunctionalTests.Redis;

/// <summary>What one daemon's own Redis instruments record while this listens: each operation's wait, and errors.</summary>
internal sealed class RedisMeasurements : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Operation, double Seconds)> _waits = new();
    private long _errors;

    public RedisMeasurements(Daemon daemon)
    {
        var meter = daemon.App.Services.GetRequiredService<SharedMetrics>().Meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == meter && instrument.Name is "sidecar.redis.wait" or "sidecar.redis.errors")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, value, tags, _) => _waits.Enqueue((Operation(tags), value)));
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _errors, value));
        _listener.Start();
    }

    public IReadOnlyCollection<(string Operation, double Seconds)> Waits => _waits;

    public long Errors => Interlocked.Read(ref _errors);

    public void Dispose() => _listener.Dispose();

    private static string Operation(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "operation")
            {
                return tag.Value as string ?? string.Empty;
            }
        }

        return string.Empty;
    }
}
