using System.Diagnostics;
using System.Text.Json;
using Sidecar.Bench.Report;

namespace Sidecar.Bench.Driver;

/// <summary>Every server's latency in the same run, and the socket round trip that bounds them all.</summary>
internal sealed partial class BenchRun
{
    private async Task<int> SideBySideAsync(CancellationToken ct)
    {
        // One caller (the driver's one channel per server) at 1 000 req/s, open loop, every path in
        // blocks A B C … C B A: the daemons through the openai provider (over gRPC, then over the
        // OpenAI-compatible HTTP door), the direct call, then the daemons' echo path and the floor
        // answering the same request with nothing behind it.
        var paths = new List<(string Daemon, string Path, ITarget Target, int Pid)>();
        paths.AddRange(_servers.Where(s => s.OpenAI is not null).Select(s => (s.Build.Name, "openai", (ITarget)s.OpenAI!, s.Process.Pid)));
        paths.AddRange(_servers.Where(s => s.OpenAIHttp is not null).Select(s => (s.Build.Name, BenchPaths.OpenAIHttp, (ITarget)s.OpenAIHttp!, s.Process.Pid)));
        paths.Add((string.Empty, "direct", _direct, _main.Pid));
        paths.AddRange(_servers.Select(s => (s.Build.Name, s.Build.IsSidecar ? "echo" : "floor", (ITarget)s.Echo, s.Process.Pid)));

        var rate = BenchSettings.FastRate;
        var block = Math.Max(1, settings.FastRateCalls / 2);
        var limit = TimeSpan.FromSeconds(block / rate * 1.5 + 2);
        var results = paths.Select(_ => new List<LoadResult<UnarySample>>()).ToList();
        var cpus = paths.Select(_ => new List<CpuUse>()).ToList();
        var order = Enumerable.Range(0, paths.Count).Concat(Enumerable.Range(0, paths.Count).Reverse());
        foreach (var i in order)
        {
            var window = new CpuWindow(paths[i].Pid, _upstream.Pid);
            results[i].Add(await Load.OpenLoopAsync(c => paths[i].Target.UnaryAsync(UnaryModel, c), rate, block, limit, BenchSettings.MaxInFlight, ct));
            cpus[i].Add(window.Stop());
        }

        var errors = 0;
        var stats = new List<PathStats>();
        for (var i = 0; i < paths.Count; i++)
        {
            var merged = Merge(results[i]);
            var pathStats = Stats(merged, s => s.LatencyUs);
            stats.Add(pathStats);
            errors += merged.Errors;
            Report($"unary 1 000 req/s {paths[i].Daemon} {paths[i].Path}", merged);
            _results.SideBySide.Add(new PathLatency(paths[i].Daemon, paths[i].Path, pathStats, Sum(cpus[i])));
            if (paths[i].Path == "openai" && paths[i].Daemon == _results.MainDaemon)
            {
                PlotSamples[FastName] = (Ok(merged, s => s.LatencyUs), Ok(Merge(results[paths.FindIndex(p => p.Path == "direct")]), s => s.LatencyUs));
            }

            log.WriteLine($"bench:   1 000 req/s {paths[i].Daemon} {paths[i].Path}: p50 {pathStats.Latency.P50:F0} µs, p99 {pathStats.Latency.P99:F0} µs");
        }

        var direct = paths.FindIndex(p => p.Path == "direct");
        for (var i = 0; i < paths.Count; i++)
        {
            if (paths[i].Path == "openai")
            {
                _results.Unary.Add(new LatencyFigure(FastName, rate, stats[i], stats[direct], stats[i].Latency.Minus(stats[direct].Latency), Sum(cpus[i]), Sum(cpus[direct]), paths[i].Daemon));
            }
        }

        return errors;
    }

    private const string FastName = "1 000 req/s";

    /// <summary>The floor binary's <c>rtt</c>: one-byte round trips over a socketpair to a child process.</summary>
    private async Task<int> RoundTripAsync(DaemonBuild floor, CancellationToken ct)
    {
        var info = new ProcessStartInfo(floor.Program) { UseShellExecute = false, RedirectStandardOutput = true };
        info.ArgumentList.Add("rtt");
        info.ArgumentList.Add("-n");
        info.ArgumentList.Add(settings.RoundTrips.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the floor's rtt");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            return 1;
        }

        var figures = JsonSerializer.Deserialize<Dictionary<string, double>>(output)!;
        _results.SocketRoundTripUs = new Distribution((int)figures["count"], figures["p50"], figures["p90"], figures["p99"], figures["max"], double.NaN);
        log.WriteLine($"bench:   socket round trip p50 {figures["p50"]:F1} µs, p99 {figures["p99"]:F1} µs");
        return 0;
    }

    private static long PublishBytes(DaemonBuild build)
    {
        if (build.PublishDirectory is not { } dir || !Directory.Exists(dir))
        {
            return 0;
        }

        // What an image would copy: the binary and what sits beside it, not the debug symbols.
        return new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(f => f.Extension is not (".dbg" or ".pdb"))
            .Sum(f => f.Length);
    }
}
