using Sidecar.Bench.Report;

namespace Sidecar.Bench.Driver;

/// <summary>The memory phases: many cached key refs, and key churn through a bounded cache.</summary>
internal sealed partial class BenchRun
{
    private async Task<int> CachedKeysAsync(DaemonBuild build, CancellationToken ct)
    {
        var memory = Figures(build).Memory;
        memory.KeysCount = settings.KeysCount;
        var dir = KeysDirectory($"keys-{build.Name}", "k", settings.KeysCount);
        try
        {
            await using var daemon = await StartDaemonAsync(build, $"keys-{build.Name}", [$"--Sidecar:KeysDirectory={dir}", $"--Sidecar:DefaultEndpoint={_upstream.Endpoint}"], ct);
            using var target = new SidecarTarget(daemon.Channel, "k0");
            await Task.Delay(TimeSpan.FromSeconds(SettlePause), ct);
            memory.KeysFreshMiB = daemon.RssMiB();

            // The same number of calls on one key first, so what the distinct keys add is the clients, not the load.
            var one = await Load.ClosedLoopAsync((_, c) => target.UnaryAsync(KeyName("k", 0), UnaryModel, c), 8, settings.KeysCount, TimeSpan.FromSeconds(60), ct);
            await Task.Delay(TimeSpan.FromSeconds(SettlePause), ct);
            memory.KeysWarmOneKeyMiB = daemon.RssMiB();

            var many = await Load.ClosedLoopAsync((i, c) => target.UnaryAsync(KeyName("k", i), UnaryModel, c), 8, settings.KeysCount, TimeSpan.FromSeconds(60), ct);
            await Task.Delay(TimeSpan.FromSeconds(SettlePause), ct);
            memory.Keys1000MiB = daemon.RssMiB();
            memory.KeysErrors = one.Errors + many.Errors;
            Report("distinct keys", many);
            log.WriteLine($"bench:   {build.Name} RSS fresh {memory.KeysFreshMiB:F1} MiB, after {settings.KeysCount} calls on one key {memory.KeysWarmOneKeyMiB:F1} MiB, after {settings.KeysCount} distinct keys {memory.Keys1000MiB:F1} MiB");
            return memory.KeysErrors;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private async Task<int> ChurnAsync(DaemonBuild build, CancellationToken ct)
    {
        var memory = Figures(build).Memory;
        memory.ChurnKeys = settings.ChurnKeys;
        memory.ChurnMaxEntries = settings.ChurnMaxEntries;
        var made = Ticks.Now;
        var dir = KeysDirectory($"churn-{build.Name}", "c", settings.ChurnKeys);
        log.WriteLine($"bench:   {settings.ChurnKeys} key files written in {Ticks.MicrosSince(made) / 1e6:F1} s");
        try
        {
            await using var daemon = await StartDaemonAsync(build, $"churn-{build.Name}", [$"--Sidecar:KeysDirectory={dir}", $"--Sidecar:DefaultEndpoint={_upstream.Endpoint}", $"--Sidecar:ClientCache:MaxEntries={settings.ChurnMaxEntries}"], ct);
            using var target = new SidecarTarget(daemon.Channel, "c0");
            var done = 0;
            var start = Ticks.Now;
            using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var sampler = Task.Run(async () =>
            {
                var every = TimeSpan.FromMilliseconds(settings.Smoke ? 20 : 250);
                while (!stopSampling.IsCancellationRequested)
                {
                    memory.Churn.Add(new RssPoint(Ticks.MicrosSince(start) / 1e6, Volatile.Read(ref done), daemon.RssMiB()));
                    try
                    {
                        await Task.Delay(every, stopSampling.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }, CancellationToken.None);

            var result = await Load.ClosedLoopAsync(
                async (i, c) =>
                {
                    var sample = await target.UnaryAsync(KeyName("c", i), UnaryModel, c);
                    Interlocked.Increment(ref done);
                    return sample;
                },
                16,
                settings.ChurnKeys,
                TimeSpan.FromMinutes(5),
                ct);
            await stopSampling.CancelAsync();
            await sampler;
            memory.Churn.Add(new RssPoint(Ticks.MicrosSince(start) / 1e6, done, daemon.RssMiB()));
            memory.ChurnErrors = result.Errors;
            memory.ChurnSeconds = result.Seconds;
            memory.ChurnPeakMiB = memory.Churn.Max(p => p.RssMiB);
            memory.ChurnSlopeMiBPer10k = Slope(memory.Churn.Where(p => p.Calls >= settings.ChurnKeys / 2).ToList()) * 10_000;
            Report("churn", result);
            log.WriteLine($"bench:   {build.Name} churn: {result.Throughput:F0} calls/s, RSS peak {memory.ChurnPeakMiB:F1} MiB, second-half slope {memory.ChurnSlopeMiBPer10k:F2} MiB per 10k keys");
            return result.Errors;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string KeyName(string prefix, int i) => $"{prefix}{i}";

    private string KeysDirectory(string name, string prefix, int count)
    {
        // tmpfs when there is one: a hundred thousand small files write in a second or two there.
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : workDir;
        var dir = Path.Combine(root, $"sidecar-bench-{Environment.ProcessId}-{name}");
        Directory.CreateDirectory(dir);
        for (var i = 0; i < count; i++)
        {
            File.WriteAllText(Path.Combine(dir, KeyName(prefix, i)), $"sk-bench-{prefix}-{i}\n");
        }

        return dir;
    }

    /// <summary>Least-squares slope of RSS over calls (MiB per call).</summary>
    private static double Slope(List<RssPoint> points)
    {
        if (points.Count < 2)
        {
            return 0;
        }

        var mx = points.Average(p => (double)p.Calls);
        var my = points.Average(p => p.RssMiB);
        var sxx = points.Sum(p => (p.Calls - mx) * (p.Calls - mx));
        return sxx == 0 ? 0 : points.Sum(p => (p.Calls - mx) * (p.RssMiB - my)) / sxx;
    }
}
