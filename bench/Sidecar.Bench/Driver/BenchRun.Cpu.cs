using Sidecar.Bench.Report;

namespace Sidecar.Bench.Driver;

/// <summary>The CPU phase: each server's CPU per call on each path, at 16 callers and at one.</summary>
internal sealed partial class BenchRun
{
    private sealed record CpuVariant(Server? Server, string Path, ITarget Target);

    private async Task<int> CpuAsync(CancellationToken ct)
    {
        // Every path of every server, and the direct call (whose row shows what the driver and the
        // upstream cost without a sidecar), closed loop for a fixed time. In rounds, the order turning
        // each round, so a busy moment of the shared machine does not fall on one path; each figure
        // is the median of its rounds.
        var variants = new List<CpuVariant>();
        foreach (var server in _servers)
        {
            if (server.OpenAI is { } openai)
            {
                variants.Add(new CpuVariant(server, "openai", openai));
            }

            if (server.OpenAIPool is { } openaiPool)
            {
                variants.Add(new CpuVariant(server, BenchPaths.OpenAIPool, openaiPool));
            }

            if (server.OpenAIHttp is { } openaiHttp)
            {
                variants.Add(new CpuVariant(server, BenchPaths.OpenAIHttp, openaiHttp));
            }

            variants.Add(new CpuVariant(server, server.Build.IsSidecar ? "echo" : "floor", server.Echo));
        }

        variants.Add(new CpuVariant(null, "direct", _direct));
        (string Kind, int Callers)[] kinds = [("unary", BenchSettings.CpuCallers), ("unary", 1), ("stream", BenchSettings.CpuCallers)];

        var errors = 0;
        foreach (var variant in variants)
        {
            // Sixteen callers is a new shape of load for every path: let the JIT see it before measuring.
            var warm = await Load.ClosedLoopAsync((_, c) => variant.Target.UnaryAsync(UnaryModel, c), BenchSettings.CpuCallers, settings.WarmupCalls / 3, TimeSpan.FromSeconds(30), ct);
            errors += warm.Errors;
        }

        foreach (var server in _servers)
        {
            await SettleAsync(server.Process, ct);
        }

        var rounds = new List<CpuFigure>();
        for (var round = 0; round < settings.CpuRounds; round++)
        {
            foreach (var (kind, callers) in kinds)
            {
                for (var i = 0; i < variants.Count; i++)
                {
                    var variant = variants[(i + round) % variants.Count];
                    var figure = await CpuRunAsync(variant, kind, callers, ct);
                    rounds.Add(figure);
                    errors += figure.Errors;
                }
            }
        }

        foreach (var group in rounds.GroupBy(f => (f.Daemon, f.Path, f.Kind, f.Callers)))
        {
            var all = group.ToList();
            var figure = new CpuFigure(
                group.Key.Daemon, group.Key.Path, group.Key.Kind, group.Key.Callers,
                all.Sum(f => f.Calls), all.Sum(f => f.Errors),
                Median(all.Select(f => f.DaemonMs)), Median(all.Select(f => f.UpstreamMs)), Median(all.Select(f => f.DriverMs)), Median(all.Select(f => f.OthersMs)),
                all.Sum(f => f.WallSeconds), all.Select(f => f.DaemonMs).ToArray());
            _results.Cpu.Add(figure);
            log.WriteLine($"bench:   cpu {figure.Daemon} {figure.Path} {figure.Kind} x{figure.Callers}: daemon {figure.DaemonMs:F3} ms/call (rounds {string.Join(" ", figure.DaemonRounds.Select(d => d.ToString("F3", CultureInfo.InvariantCulture)))}), upstream {figure.UpstreamMs:F3}, driver {figure.DriverMs:F3}, others {figure.OthersMs:F3}");
        }

        return errors;
    }

    /// <summary>One closed-loop run of one path; samples the server's RSS meanwhile when 16 callers load it.</summary>
    private async Task<CpuFigure> CpuRunAsync(CpuVariant variant, string kind, int callers, CancellationToken ct)
    {
        var process = variant.Server?.Process;
        var model = BenchPaths.IsOpenAI(variant.Path) ? StreamModel : FastStreamModel;
        var window = new CpuWindow(process?.Pid ?? _main.Pid, _upstream.Pid);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var peak = process is not null && callers == BenchSettings.CpuCallers ? SamplePeakRssAsync(process, stop.Token) : Task.FromResult(double.NaN);
        var seconds = TimeSpan.FromSeconds(settings.CpuSeconds);
        int calls, errors;
        if (kind == "unary")
        {
            var result = await Load.ClosedLoopAsync((_, c) => variant.Target.UnaryAsync(UnaryModel, c), callers, int.MaxValue, seconds, ct);
            (calls, errors) = (result.Samples.Count, result.Errors);
            Report($"cpu {variant.Server?.Build.Name} {variant.Path} {kind} x{callers}", result);
        }
        else
        {
            var result = await Load.ClosedLoopAsync((_, c) => variant.Target.StreamAsync(model, BenchSettings.StreamChunks, c), callers, int.MaxValue, seconds, ct);
            (calls, errors) = (result.Samples.Count, result.Errors);
            Report($"cpu {variant.Server?.Build.Name} {variant.Path} {kind} x{callers}", result);
        }

        var cpu = window.Stop();
        await stop.CancelAsync();
        if (variant.Server is { } server && await peak is var rss && !double.IsNaN(rss))
        {
            server.Figures.Memory.PeakLoadMiB = double.IsNaN(server.Figures.Memory.PeakLoadMiB) ? rss : Math.Max(server.Figures.Memory.PeakLoadMiB, rss);
        }

        double PerCall(double s) => calls > 0 ? s * 1000 / calls : double.NaN;
        return new CpuFigure(
            variant.Server?.Build.Name ?? string.Empty, variant.Path, kind, callers, calls, errors,
            process is null ? double.NaN : PerCall(cpu.Daemon), PerCall(cpu.Upstream), PerCall(cpu.Driver), PerCall(cpu.Others), cpu.WallSeconds, []);
    }

    private static async Task<double> SamplePeakRssAsync(DaemonProcess process, CancellationToken ct)
    {
        var peak = process.RssMiB();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(50, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            peak = Math.Max(peak, process.RssMiB());
        }

        return peak;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
