using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sidecar.Diagnostics;

namespace Sidecar.FunctionalTests;

/// <summary>What a test reads from inside an in-process daemon: its readiness report and its own gauges.</summary>
internal static class DaemonProbes
{
    /// <summary>The readiness check's entry (status and data), run now through the daemon's health service.</summary>
    public static async Task<HealthReportEntry> ReadinessAsync(this Daemon daemon)
    {
        var health = daemon.App.Services.GetRequiredService<HealthCheckService>();
        var report = await health.CheckHealthAsync(r => r.Tags.Contains("ready")).WaitAsync(Daemon.Timeout);
        return report.Entries["ready"];
    }

    /// <summary>
    /// The <c>sidecar.circuit.state</c> gauge of an endpoint (or of a model there; null when it has none), read from
    /// the daemon's own meter. (Not from <c>/metrics</c>: every in-process daemon's OpenTelemetry exporter also sees
    /// the other test daemons' meters of the same name, so a scrape can show another daemon's gauge.)
    /// </summary>
    public static int? CircuitGauge(this Daemon daemon, string authority, string? model = null)
    {
        var meter = daemon.App.Services.GetRequiredService<SidecarMetrics>().Meter;
        var values = new List<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter && instrument.Name == "sidecar.circuit.state")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            var labels = tags.ToArray();
            var wanted = model is null
                ? labels.Contains(new("scope", "endpoint"))
                : labels.Contains(new("scope", "model")) && labels.Contains(new("model", model));
            if (wanted && labels.Contains(new("endpoint", authority)))
            {
                values.Add(value);
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values.Count == 0 ? null : Assert.Single(values);
    }
}
