using ScottPlot;

namespace Sidecar.Bench.Report;

/// <summary>The report's figures, drawn from the run's own samples with ScottPlot.</summary>
internal static class Plots
{
    private static readonly Color SidecarColor = new(31, 119, 180);
    private static readonly Color DirectColor = new(255, 127, 14);
    private static readonly double[] Nines = [0.5, 0.9, 0.99, 0.999, 0.9999];

    public const string UnaryCdf = "unary-latency-cdf.png";
    public const string TtftCdf = "stream-ttft-cdf.png";
    public const string ChurnRss = "rss-key-churn.png";

    /// <summary>Writes every figure the data allows; returns the file names written.</summary>
    public static List<string> Write(string directory, BenchResults results, BenchRun run)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();

        var unary = results.Unary.Where(u => u.Daemon == results.MainDaemon).Select(u => u.Name).Where(run.PlotSamples.ContainsKey).Take(2).ToList();
        if (unary.Count > 0)
        {
            var series = new List<Series>();
            foreach (var (name, i) in unary.Select((n, i) => (n, i)).Reverse())
            {
                var pattern = i == 0 ? LinePattern.Dashed : LinePattern.Solid;
                series.Add(new Series($"sidecar, {name}", run.PlotSamples[name].Sidecar, SidecarColor, pattern));
                series.Add(new Series($"direct, {name}", run.PlotSamples[name].Direct, DirectColor, pattern));
            }

            Cdf(Path.Combine(directory, UnaryCdf), "Unary latency: through the sidecar vs. direct SDK call (open loop)", series);
            written.Add(UnaryCdf);
        }

        if (run.TtftSamples.Sidecar.Count > 0)
        {
            Cdf(
                Path.Combine(directory, TtftCdf),
                $"Streaming: time to first token ({BenchSettings.StreamChunks} chunks, {BenchSettings.StreamRate:F0} streams/s)",
                [
                    new Series("sidecar", run.TtftSamples.Sidecar, SidecarColor, LinePattern.Solid),
                    new Series("direct", run.TtftSamples.Direct, DirectColor, LinePattern.Solid),
                ]);
            written.Add(TtftCdf);
        }

        var churned = results.Daemons.Where(d => d.Memory.Churn.Count > 1).ToList();
        if (churned.Count > 0)
        {
            ChurnPlot(Path.Combine(directory, ChurnRss), churned);
            written.Add(ChurnRss);
        }

        return written;
    }

    private sealed record Series(string Label, List<double> Micros, Color Color, LinePattern Pattern);

    /// <summary>
    /// Cumulative distribution with the percentile axis in "nines" (−log10(1−p)), so the tail that
    /// matters (p99, p99.9) gets as much room as the median.
    /// </summary>
    private static void Cdf(string path, string title, List<Series> series)
    {
        var plot = new Plot();
        var xMax = 0.0;
        var yMax = 0.0;
        foreach (var s in series.Where(s => s.Micros.Count > 0))
        {
            var sorted = s.Micros.Select(us => us / 1000.0).Order().ToArray();
            var n = sorted.Length;
            var step = Math.Max(1, n / 4000);
            var xs = new List<double>();
            var ys = new List<double>();
            for (var i = 0; i < n; i += step)
            {
                xs.Add(sorted[i]);
                ys.Add(-Math.Log10(1 - (i + 0.5) / n));
            }

            xs.Add(sorted[^1]);
            ys.Add(-Math.Log10(0.5 / n));
            var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            line.LegendText = s.Label;
            line.Color = s.Color;
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LinePattern = s.Pattern;
            xMax = Math.Max(xMax, Distribution.At(sorted, 0.999));
            yMax = Math.Max(yMax, ys[^1]);
        }

        var ticks = new ScottPlot.TickGenerators.NumericManual();
        ticks.AddMajor(0, "0%");
        foreach (var q in Nines.Where(q => -Math.Log10(1 - q) <= yMax + 0.01))
        {
            ticks.AddMajor(-Math.Log10(1 - q), $"{q * 100:0.##}%");
        }

        plot.Axes.Left.TickGenerator = ticks;
        plot.Title(title);
        plot.XLabel("latency (ms); axis cut at the slowest series' p99.9");
        plot.YLabel("share of calls at or under (percentile)");
        plot.Axes.SetLimits(0, xMax * 1.05, 0, yMax * 1.02);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 1000, 600);
    }

    private static void ChurnPlot(string path, List<DaemonFigures> daemons)
    {
        var plot = new Plot();
        var memory = daemons[0].Memory;
        Color[] colors = [SidecarColor, DirectColor, Colors.Green];
        var xMax = 0.0;
        var yMax = 0.0;
        foreach (var (daemon, i) in daemons.Select((d, i) => (d, i)))
        {
            var xs = daemon.Memory.Churn.Select(p => p.Calls / 1000.0).ToArray();
            var ys = daemon.Memory.Churn.Select(p => p.RssMiB).ToArray();
            var line = plot.Add.Scatter(xs, ys);
            line.LegendText = $"{daemon.Name} daemon RSS (VmRSS), {daemon.Memory.ChurnSeconds:F0} s";
            line.Color = colors[i % colors.Length];
            line.LineWidth = 2;
            line.MarkerSize = 3;
            xMax = Math.Max(xMax, xs.Max());
            yMax = Math.Max(yMax, ys.Max());
        }

        var full = plot.Add.VerticalLine(memory.ChurnMaxEntries / 1000.0);
        full.LegendText = $"cache full ({Units.Count(memory.ChurnMaxEntries)} entries)";
        full.LinePattern = LinePattern.Dashed;
        full.Color = Colors.Gray;
        plot.Title($"Daemon memory while {Units.Count(memory.ChurnKeys)} distinct key refs pass through a cache of {Units.Count(memory.ChurnMaxEntries)}");
        plot.XLabel("distinct key refs used so far (thousands; one call each, 16 callers)");
        plot.YLabel("RSS (MiB)");
        plot.Axes.SetLimits(0, xMax * 1.02, 0, yMax * 1.15);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 1000, 600);
    }
}
