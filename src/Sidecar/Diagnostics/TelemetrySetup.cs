using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Sidecar.Diagnostics;

/// <summary>
/// OpenTelemetry: our meter plus the runtime's, HttpClient's and Kestrel's, scraped as Prometheus
/// text on the HTTP port, and pushed over OTLP (metrics and traces) when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
internal static class TelemetrySetup
{
    public const string ScrapePath = "/metrics";

    public static void AddSidecarTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("sidecar"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SidecarMetrics.MeterName, "System.Runtime", "System.Net.Http", "Microsoft.AspNetCore.Server.Kestrel");

                // A scrape shows the state of that moment, not one cached from an earlier scrape.
                metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(SidecarTelemetry.ActivitySourceName, "Microsoft.AspNetCore", "System.Net.Http")
                .AddOtlpExporter());
        }
    }
}
