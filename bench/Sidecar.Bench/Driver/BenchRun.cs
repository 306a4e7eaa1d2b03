using System.Runtime.InteropServices;
using Sidecar.Bench.Report;
using Sidecar.FakeUpstream;

namespace Sidecar.Bench.Driver;

/// <summary>
/// One whole bench run: starts the upstream and the servers (the daemon as AOT binary and on the JIT,
/// and the floor reference), runs every phase (each path through the sidecar side by side with the
/// same call made directly), and gathers the results.
/// </summary>
internal sealed partial class BenchRun(BenchSettings settings, BenchOptions options, IReadOnlyList<DaemonBuild> builds, string workDir, TextWriter log)
{
    private readonly BenchResults _results = new();
    private readonly List<Server> _servers = [];
    private UpstreamProcess _upstream = null!;
    private DaemonProcess _main = null!;
    private SidecarTarget _sidecar = null!;
    private DirectTarget _direct = null!;

    private static readonly string UnaryModel = BenchSpec.Model();
    private static readonly string StreamModel = BenchSpec.Model(chunks: BenchSettings.StreamChunks, intervalMs: BenchSettings.StreamIntervalMs);
    private static readonly string FastStreamModel = BenchSpec.Model(chunks: BenchSettings.StreamChunks, intervalMs: 0);

    private double SettlePause => settings.Smoke ? 0.1 : 1.0;

    private IEnumerable<DaemonBuild> Sidecars => builds.Where(b => b.IsSidecar);

    private DaemonFigures Figures(DaemonBuild build) => _results.Daemons.Single(d => d.Name == build.Name);

    /// <summary>A server started for the main phases, with its ways in: the openai key_ref over gRPC and over the
    /// OpenAI-compatible HTTP door (daemon only), and the echo path.</summary>
    private sealed record Server(DaemonBuild Build, DaemonProcess Process, DaemonFigures Figures, SidecarTarget? OpenAI, DirectTarget? OpenAIHttp, SidecarTarget? OpenAIPool, SidecarTarget Echo);

    public async Task<BenchResults> RunAsync(string commit, CancellationToken ct)
    {
        var started = Ticks.Now;
        _results.StartedUtc = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        _results.Smoke = settings.Smoke;
        _results.Machine = Machine(commit);
        _results.MainDaemon = Sidecars.First().Name;
        foreach (var build in builds)
        {
            _results.Daemons.Add(new DaemonFigures { Name = build.Name, Description = build.Description, IsSidecar = build.IsSidecar, PublishBytes = PublishBytes(build) });
        }

        _upstream = await UpstreamProcess.StartAsync(ct);
        log.WriteLine($"bench: upstream on {_upstream.Endpoint} (pid {_upstream.Pid}); servers: {string.Join(", ", builds.Select(b => b.Name))}");
        try
        {
            await PhaseAsync("start-up", () => StartupAsync(ct));
            if (options.AnyOf("unary", "ramp", "stream", "throughput", "cancel", "cpu"))
            {
                await MainDaemonPhasesAsync(ct);
            }

            if (builds.FirstOrDefault(b => b.Name == DaemonBuild.Floor) is { } floor)
            {
                await PhaseAsync("socket round trip", () => RoundTripAsync(floor, ct));
            }

            foreach (var build in Sidecars)
            {
                await PhaseAsync($"1 000 cached key refs, {build.Name}", () => CachedKeysAsync(build, ct));
            }

            foreach (var build in Sidecars)
            {
                await PhaseAsync($"key churn, {build.Name}", () => ChurnAsync(build, ct));
            }
        }
        finally
        {
            await _upstream.DisposeAsync();
        }

        _results.Machine.LoadAverageAfter = LoadAverage();
        _results.DurationSeconds = Ticks.MicrosSince(started) / 1e6;
        return _results;
    }

    private async Task MainDaemonPhasesAsync(CancellationToken ct)
    {
        try
        {
            foreach (var build in builds)
            {
                var process = await StartDaemonAsync(build, $"main-{build.Name}", [], ct);
                var openai = build.IsSidecar ? new SidecarTarget(process.Channel, "bench") : null;
                var openaiHttp = build.IsSidecar ? DirectTarget.OpenAIDoor(process.OpenAISocket, "bench") : null;
                var openaiPool = build.IsSidecar ? new SidecarTarget(process.Channel, "bench-pool") : null;
                // The daemon's echo key_ref and the floor answer alike: the last message comes back.
                var echo = new SidecarTarget(process.Channel, build.IsSidecar ? "echo" : "bench", echo: true);
                _servers.Add(new Server(build, process, Figures(build), openai, openaiHttp, openaiPool, echo));
            }

            await Task.Delay(TimeSpan.FromSeconds(SettlePause), ct);
            foreach (var server in _servers)
            {
                server.Figures.Memory.IdleFreshMiB = server.Process.RssMiB();
            }

            foreach (var (server, cpu) in await IdleCpuAsync(ct))
            {
                server.Figures.IdleCpuMsPerSecond = cpu;
            }

            var main = _servers.First(s => s.Build.IsSidecar);
            _main = main.Process;
            _sidecar = main.OpenAI!;
            _direct = new DirectTarget(_upstream.Endpoint, DaemonProcess.ApiKey);
            await PhaseAsync("warm-up", () => WarmupAsync(ct), always: true);
            await PhaseAsync("unary 100/s", () => UnaryAtRateAsync("100 req/s", BenchSettings.SlowRate, settings.SlowRateCalls, ct));
            await PhaseAsync("unary 1000/s, side by side", () => SideBySideAsync(ct));
            await PhaseAsync("unary ramp", () => RampAsync(ct));
            await PhaseAsync("streaming", () => StreamingAsync(ct));
            await PhaseAsync("max throughput", () => ThroughputAsync(ct));
            await PhaseAsync("cancel", () => CancelAsync(ct));
            await PhaseAsync("cpu per call", () => CpuAsync(ct));
            foreach (var (server, cpu) in await IdleCpuAsync(ct))
            {
                server.Figures.IdleAfterLoadCpuMsPerSecond = cpu;
                server.Figures.Memory.IdleAfterLoadMiB = server.Process.RssMiB();
            }
        }
        finally
        {
            _direct?.Dispose();
            foreach (var server in _servers)
            {
                server.OpenAI?.Dispose();
                server.OpenAIHttp?.Dispose();
                server.OpenAIPool?.Dispose();
                server.Echo.Dispose();
                await server.Process.DisposeAsync();
            }

            _servers.Clear();
        }
    }

    /// <summary>CPU each running server uses with no calls, in ms per second, over one shared window.</summary>
    private async Task<List<(Server Server, double MsPerSecond)>> IdleCpuAsync(CancellationToken ct)
    {
        var cpu0 = _servers.Select(s => s.Process.CpuSeconds()).ToList();
        var start = Ticks.Now;
        await Task.Delay(TimeSpan.FromSeconds(settings.Smoke ? 0.2 : 3), ct);
        var seconds = Ticks.MicrosSince(start) / 1e6;
        return _servers.Select((s, i) => (s, (s.Process.CpuSeconds() - cpu0[i]) * 1000 / seconds)).ToList();
    }

    /// <summary>Runs a phase, records whether it completed with no errors and how busy the rest of the machine was.</summary>
    private async Task PhaseAsync(string name, Func<Task<int>> phase, bool always = false)
    {
        if (!always && !options.Runs(name))
        {
            return;
        }

        log.WriteLine($"bench: {name} ...");
        var own0 = ProcStat.OwnTreeSeconds();
        var machine0 = ProcStat.Machine();
        var start = Ticks.Now;
        int errors;
        string detail;
        try
        {
            errors = await phase();
            detail = errors == 0 ? "completed, no errors" : $"{errors} errors";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            errors = -1;
            detail = $"failed: {ex.GetType().Name}: {ex.Message}";
        }

        var wall = Ticks.MicrosSince(start) / 1e6;
        var machine = ProcStat.Machine();
        var others = Math.Max(0, machine.Busy - machine0.Busy - (ProcStat.OwnTreeSeconds() - own0));
        var total = machine.Total - machine0.Total;
        _results.Noise.Add(new PhaseNoise(name, wall, wall > 0 ? others / wall : 0, total > 0 ? (machine.Busy - machine0.Busy) / total : 0));
        _results.Checks.Add(new Check(name, errors == 0, detail));
        log.WriteLine($"bench: {name}: {detail} ({wall:F1} s, other work on the machine: {(wall > 0 ? others / wall : 0):F2} cores)");
    }

    private Task<DaemonProcess> StartDaemonAsync(DaemonBuild build, string name, IEnumerable<string> extraArgs, CancellationToken ct) =>
        DaemonProcess.StartAsync(build, workDir, name, _upstream.Endpoint, options.DaemonArgs.Concat(extraArgs), options.DaemonEnvironment, ct);

    private async Task<int> StartupAsync(CancellationToken ct)
    {
        // Interleaved (AOT, JIT, floor, AOT, ...), so a busy moment of the machine falls on all alike.
        for (var i = 0; i < settings.StartupRuns; i++)
        {
            foreach (var build in builds)
            {
                await using var daemon = await StartDaemonAsync(build, $"start{i}-{build.Name}", [], ct);
                Figures(build).Startup.Add(new StartupRun(daemon.StartupMs, daemon.RssMiB(), daemon.CpuSeconds() * 1000));
            }
        }

        foreach (var figures in _results.Daemons)
        {
            figures.StartupMs = Distribution.Of(figures.Startup.Select(s => s.ReadyMs).ToList());
            log.WriteLine($"bench:   {figures.Name} ready after {string.Join(", ", figures.Startup.Select(s => $"{s.ReadyMs:F0}"))} ms, CPU until then {string.Join(", ", figures.Startup.Select(s => $"{s.CpuMs:F0}"))} ms");
        }

        return 0;
    }

    private async Task<int> WarmupAsync(CancellationToken ct)
    {
        // JIT tiers, connection pools and caches on every path before anything is measured. The
        // runtime recompiles hot methods in the background (tier 1, with PGO) for seconds after a
        // burst of new work, so after each round we wait until the servers and the driver are quiet.
        var targets = _servers.SelectMany(s => new ITarget?[] { s.OpenAI, s.OpenAIHttp, s.OpenAIPool, s.Echo }).OfType<ITarget>().Append(_direct).ToList();
        var errors = 0;
        for (var round = 0; round < 2; round++)
        {
            foreach (var target in targets)
            {
                var calls = round == 0 ? settings.WarmupCalls : settings.WarmupCalls / 3;
                var unary = await Load.ClosedLoopAsync((_, c) => target.UnaryAsync(UnaryModel, c), 8, calls, TimeSpan.FromSeconds(30), ct);
                var stream = await Load.ClosedLoopAsync((_, c) => target.StreamAsync(FastStreamModel, BenchSettings.StreamChunks, c), 8, calls / 10, TimeSpan.FromSeconds(30), ct);
                errors += unary.Errors + stream.Errors;
                Report(target.Name + " warm-up", unary);
                Report(target.Name + " warm-up streams", stream);
            }

            foreach (var server in _servers)
            {
                await SettleAsync(server.Process, ct);
            }
        }

        return errors;
    }

    /// <summary>
    /// Waits until the daemon and the driver have used under 5% of a core for two 250 ms windows in a
    /// row (background JIT done), at most 30 s; records how long that took and the daemon's CPU meanwhile.
    /// </summary>
    private async Task SettleAsync(DaemonProcess daemon, CancellationToken ct)
    {
        var limit = TimeSpan.FromSeconds(settings.Smoke ? 0.5 : 30);
        var start = Ticks.Now;
        var daemon0 = daemon.CpuSeconds();
        var quiet = 0;
        while (quiet < 2 && Ticks.MicrosSince(start) < limit.TotalMicroseconds)
        {
            var d = daemon.CpuSeconds();
            var own = ProcStat.OwnCpuSeconds();
            await Task.Delay(250, ct);
            var used = daemon.CpuSeconds() - d + (ProcStat.OwnCpuSeconds() - own);
            quiet = used < 0.0125 ? quiet + 1 : 0;
        }

        var seconds = Ticks.MicrosSince(start) / 1e6;
        var cpu = daemon.CpuSeconds() - daemon0;
        _results.Settles.Add(new Settle(seconds, cpu, quiet >= 2, daemon.Build.Name));
        log.WriteLine($"bench:   {daemon.Build.Name} settled after {seconds:F1} s; it used {cpu:F2} s of CPU meanwhile (background JIT){(quiet >= 2 ? string.Empty : " — not quiet at the limit")}");
    }

    private void Report<T>(string what, LoadResult<T> result)
    {
        if (result.Errors > 0)
        {
            log.WriteLine($"bench:   {what}: {result.Errors} errors of {result.Sent}: {string.Join("; ", result.ErrorExamples)}");
        }
    }

    private static PathStats Stats<T>(LoadResult<T> result, Func<T, double> value)
        where T : ISample<T> =>
        new(Distribution.Of(Ok(result, value)), result.Sent, result.Errors, result.Throughput, result.DispatchLagP99Us, result.ErrorExamples);

    private static List<double> Ok<T>(LoadResult<T> result, Func<T, double> value)
        where T : ISample<T> =>
        result.Samples.Where(s => s.Error is null).Select(value).ToList();

    private static MachineInfo Machine(string commit)
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var memKb = File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?[12..].Trim('"') ?? "Linux"
            : "Linux";
        return new MachineInfo
        {
            Cpu = cpu,
            Cores = Environment.ProcessorCount,
            MemoryGiB = Math.Round(long.Parse(memKb, CultureInfo.InvariantCulture) / 1024.0 / 1024.0, 1),
            Kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
            Os = os,
            Runtime = RuntimeInformation.FrameworkDescription,
            Commit = commit,
            LoadAverageBefore = LoadAverage(),
        };
    }

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
