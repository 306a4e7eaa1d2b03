using System.Globalization;
using System.Runtime.InteropServices;
using Sidecar.Bench.Report;
using Sidecar.Bench.Upstream;

namespace Sidecar.Bench.Driver;

/// <summary>
/// One whole bench run: starts the upstream and the daemons, runs every phase (each path through
/// the sidecar side by side with the same call made directly), and gathers the results.
/// </summary>
internal sealed partial class BenchRun(BenchSettings settings, BenchOptions options, string daemonDll, string workDir, TextWriter log)
{
    private readonly BenchResults _results = new();
    private UpstreamProcess _upstream = null!;
    private DaemonProcess _main = null!;
    private SidecarTarget _sidecar = null!;
    private DirectTarget _direct = null!;

    private static readonly string UnaryModel = UpstreamSpec.Model();
    private static readonly string StreamModel = UpstreamSpec.Model(chunks: BenchSettings.StreamChunks, intervalMs: BenchSettings.StreamIntervalMs);
    private static readonly string FastStreamModel = UpstreamSpec.Model(chunks: BenchSettings.StreamChunks, intervalMs: 0);

    private double SettlePause => settings.Smoke ? 0.1 : 1.0;

    public async Task<BenchResults> RunAsync(string commit, CancellationToken ct)
    {
        var started = Ticks.Now;
        _results.StartedUtc = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        _results.Smoke = settings.Smoke;
        _results.Machine = Machine(commit);
        _upstream = await UpstreamProcess.StartAsync(ct);
        log.WriteLine($"bench: upstream on {_upstream.Endpoint} (pid {_upstream.Pid})");
        try
        {
            await PhaseAsync("start-up", () => StartupAsync(ct));
            if (options.AnyOf("unary", "ramp", "stream", "throughput", "cancel", "cpu"))
            {
                await MainDaemonPhasesAsync(ct);
            }

            await PhaseAsync("1 000 cached key refs", () => CachedKeysAsync(ct));
            await PhaseAsync("key churn", () => ChurnAsync(ct));
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
        _main = await StartDaemonAsync("main", [], ct);
        await Task.Delay(TimeSpan.FromSeconds(SettlePause), ct);
        _results.Memory.IdleFreshMiB = _main.RssMiB();
        _results.DaemonIdleCpuMsPerSecond = await IdleCpuAsync(_main, ct);
        _sidecar = new SidecarTarget(_main.Channel, "bench");
        _direct = new DirectTarget(_upstream.Endpoint, DaemonProcess.ApiKey);
        try
        {
            await PhaseAsync("warm-up", () => WarmupAsync(_sidecar, _direct, _main, ct), always: true);
            await PhaseAsync("unary 100/s", () => UnaryAtRateAsync("100 req/s", BenchSettings.SlowRate, settings.SlowRateCalls, ct));
            await PhaseAsync("unary 1000/s", () => UnaryAtRateAsync("1 000 req/s", BenchSettings.FastRate, settings.FastRateCalls, ct));
            await PhaseAsync("unary ramp", () => RampAsync(ct));
            await PhaseAsync("streaming", () => StreamingAsync(ct));
            await PhaseAsync("max throughput", () => ThroughputAsync(ct));
            await PhaseAsync("cancel", () => CancelAsync(ct));
            await PhaseAsync("cpu per call", () => CpuAsync(ct));
            _results.DaemonIdleAfterLoadCpuMsPerSecond = await IdleCpuAsync(_main, ct);
            _results.Memory.IdleAfterLoadMiB = _main.RssMiB();
        }
        finally
        {
            _sidecar.Dispose();
            _direct.Dispose();
            await _main.DisposeAsync();
        }
    }

    /// <summary>CPU the daemon uses with no calls, in ms per second.</summary>
    private async Task<double> IdleCpuAsync(DaemonProcess daemon, CancellationToken ct)
    {
        var cpu0 = daemon.CpuSeconds();
        var start = Ticks.Now;
        await Task.Delay(TimeSpan.FromSeconds(settings.Smoke ? 0.2 : 3), ct);
        return (daemon.CpuSeconds() - cpu0) * 1000 / (Ticks.MicrosSince(start) / 1e6);
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

    private Task<DaemonProcess> StartDaemonAsync(string name, IEnumerable<string> extraArgs, CancellationToken ct) =>
        DaemonProcess.StartAsync(daemonDll, workDir, name, _upstream.Endpoint, options.DaemonArgs.Concat(extraArgs), options.DaemonEnvironment, ct);

    private async Task<int> StartupAsync(CancellationToken ct)
    {
        for (var i = 0; i < settings.StartupRuns; i++)
        {
            await using var daemon = await StartDaemonAsync($"start{i}", [], ct);
            _results.Startup.Add(new StartupRun(daemon.StartupMs, daemon.RssMiB()));
        }

        _results.StartupMs = Distribution.Of(_results.Startup.Select(s => s.ReadyMs).ToList());
        return 0;
    }

    private async Task<int> WarmupAsync(SidecarTarget sidecar, DirectTarget direct, DaemonProcess daemon, CancellationToken ct)
    {
        // JIT tiers, connection pools and caches on every path before anything is measured. The
        // runtime recompiles hot methods in the background (tier 1, with PGO) for seconds after a
        // burst of new work, so after each round we wait until the daemon and the driver are quiet.
        var errors = 0;
        for (var round = 0; round < 2; round++)
        {
            foreach (ITarget target in new ITarget[] { sidecar, direct })
            {
                var calls = round == 0 ? settings.WarmupCalls : settings.WarmupCalls / 3;
                var unary = await Load.ClosedLoopAsync((_, c) => target.UnaryAsync(UnaryModel, c), 8, calls, TimeSpan.FromSeconds(30), ct);
                var stream = await Load.ClosedLoopAsync((_, c) => target.StreamAsync(FastStreamModel, BenchSettings.StreamChunks, c), 8, calls / 10, TimeSpan.FromSeconds(30), ct);
                errors += unary.Errors + stream.Errors;
                Report(target.Name + " warm-up", unary);
            }

            await SettleAsync(daemon, ct);
        }

        return errors;
    }

    /// <summary>
    /// Waits until the daemon and the driver have used under 5% of a core for two 250 ms windows in a
    /// row (background JIT done), at most 30 s; records how long that took and the daemon's CPU meanwhile.
    /// </summary>
    private async Task SettleAsync(DaemonProcess daemon, CancellationToken ct)
    {
        var limit = TimeSpan.FromSeconds(settings.Smoke ? 2 : 30);
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
        _results.Settles.Add(new Settle(seconds, cpu, quiet >= 2));
        log.WriteLine($"bench:   settled after {seconds:F1} s; the daemon used {cpu:F2} s of CPU meanwhile (background JIT){(quiet >= 2 ? string.Empty : " — not quiet at the limit")}");
    }

    private async Task<int> UnaryAtRateAsync(string name, double rate, int calls, CancellationToken ct)
    {
        var figure = await MeasureUnaryAtRateAsync(name, rate, calls, ct);
        _results.Unary.Add(figure);
        return figure.Sidecar.Errors + figure.Direct.Errors;
    }

    private async Task<LatencyFigure> MeasureUnaryAtRateAsync(string name, double rate, int calls, CancellationToken ct)
    {
        var block = Math.Max(1, calls / 2);
        var limit = TimeSpan.FromSeconds(block / rate * 1.5 + 2);
        var paired = await PairedAsync(t => Load.OpenLoopAsync(c => t.UnaryAsync(UnaryModel, c), rate, block, limit, BenchSettings.MaxInFlight, ct));
        var sidecar = Stats(paired.Sidecar, s => s.LatencyUs);
        var direct = Stats(paired.Direct, s => s.LatencyUs);
        Report($"unary {name} sidecar", paired.Sidecar);
        Report($"unary {name} direct", paired.Direct);
        PlotSamples[name] = (Ok(paired.Sidecar, s => s.LatencyUs), Ok(paired.Direct, s => s.LatencyUs));
        return new LatencyFigure(name, rate, sidecar, direct, sidecar.Latency.Minus(direct.Latency), paired.SidecarCpu, paired.DirectCpu);
    }

    private async Task<int> RampAsync(CancellationToken ct)
    {
        // Open-loop steps through the sidecar, 1.35× apart, until one is not sustained: an error, a
        // call not started, p99 over 50 ms, or a driver that could not keep the schedule.
        var fast = _results.Unary.FirstOrDefault(u => u.Rate == BenchSettings.FastRate);
        var best = fast is { Sidecar.Errors: 0 } ? BenchSettings.FastRate : 0;
        var rate = BenchSettings.FastRate * 1.5;
        var firstStepErrors = 0;
        for (var step = 0; step < settings.RampMaxSteps; step++, rate *= 1.35)
        {
            rate = Math.Round(rate / 50) * 50;
            var calls = (int)(rate * settings.RampStepSeconds);
            var result = await Load.OpenLoopAsync(c => _sidecar.UnaryAsync(UnaryModel, c), rate, calls, TimeSpan.FromSeconds(settings.RampStepSeconds * 1.5 + 1), BenchSettings.MaxInFlight, ct);
            var latency = Distribution.Of(result.Samples.Where(s => s.Ok).Select(s => s.LatencyUs).ToList());
            var why = result.Errors > 0 ? $"{result.Errors} errors"
                : result.Throughput < rate * 0.97 ? $"{result.Throughput:F0}/s achieved"
                : latency.P99 > 50_000 ? $"p99 {latency.P99 / 1000:F0} ms"
                : result.DispatchLagP99Us > 5_000 ? $"driver fell {result.DispatchLagP99Us / 1000:F0} ms behind"
                : string.Empty;
            _results.Ramp.Add(new RampStep(rate, result.Throughput, latency.P50, latency.P99, result.Errors, result.DispatchLagP99Us, why.Length == 0, why));
            log.WriteLine($"bench:   ramp {rate:F0}/s: {result.Throughput:F0}/s achieved, p50 {latency.P50:F0} µs, p99 {latency.P99:F0} µs, {result.Errors} errors {why}");
            if (why.Length > 0)
            {
                // Errors at the first step, just above a rate that ran clean, mean something broke.
                firstStepErrors = step == 0 ? result.Errors : 0;
                break;
            }

            best = rate;
        }

        _results.MaxSustainedRate = best;
        if (best > BenchSettings.FastRate)
        {
            var calls = (int)(best * Math.Max(settings.RampStepSeconds, 1) * 2);
            var figure = await MeasureUnaryAtRateAsync($"{best:N0} req/s (highest sustained)".Replace(',', ' '), best, calls, ct);
            _results.Unary.Add(figure);
            return figure.Sidecar.Errors + figure.Direct.Errors;
        }

        return firstStepErrors;
    }

    private async Task<int> StreamingAsync(CancellationToken ct)
    {
        var block = Math.Max(1, settings.StreamCalls / 2);
        var limit = TimeSpan.FromSeconds(block / BenchSettings.StreamRate * 1.5 + 5);
        var paired = await PairedAsync(t => Load.OpenLoopAsync(c => t.StreamAsync(StreamModel, BenchSettings.StreamChunks, c), BenchSettings.StreamRate, block, limit, BenchSettings.MaxInFlight, ct));
        Report("stream sidecar", paired.Sidecar);
        Report("stream direct", paired.Direct);
        var sTtft = Stats(paired.Sidecar, s => s.TtftUs);
        var dTtft = Stats(paired.Direct, s => s.TtftUs);
        var sRelay = Distribution.Of(paired.Sidecar.Samples.Where(s => s.Ok).SelectMany(s => s.RelayUs).ToList());
        var dRelay = Distribution.Of(paired.Direct.Samples.Where(s => s.Ok).SelectMany(s => s.RelayUs).ToList());
        var sTtlt = Distribution.Of(paired.Sidecar.Samples.Where(s => s.Ok).Select(s => s.TtltUs).ToList());
        var dTtlt = Distribution.Of(paired.Direct.Samples.Where(s => s.Ok).Select(s => s.TtltUs).ToList());
        _results.Stream = new StreamFigure(
            BenchSettings.StreamRate, BenchSettings.StreamChunks, BenchSettings.StreamIntervalMs,
            sTtft, dTtft, sTtft.Latency.Minus(dTtft.Latency),
            sRelay, dRelay, sRelay.Minus(dRelay),
            sTtlt, dTtlt, sTtlt.Minus(dTtlt),
            paired.SidecarCpu, paired.DirectCpu);
        _ttftSamples = (Ok(paired.Sidecar, s => s.TtftUs), Ok(paired.Direct, s => s.TtftUs));
        return sTtft.Errors + dTtft.Errors;
    }

    private async Task<int> ThroughputAsync(CancellationToken ct)
    {
        var seconds = TimeSpan.FromSeconds(settings.ThroughputSeconds / 2);
        var unary = await PairedAsync(t => Load.ClosedLoopAsync((_, c) => t.UnaryAsync(UnaryModel, c), BenchSettings.UnaryConcurrency, int.MaxValue, seconds, ct));
        Report("throughput unary sidecar", unary.Sidecar);
        Report("throughput unary direct", unary.Direct);
        _results.Throughput.Add(new ThroughputFigure("unary", BenchSettings.UnaryConcurrency, Stats(unary.Sidecar, s => s.LatencyUs), Stats(unary.Direct, s => s.LatencyUs), unary.SidecarCpu, unary.DirectCpu));

        var stream = await PairedAsync(t => Load.ClosedLoopAsync((_, c) => t.StreamAsync(FastStreamModel, BenchSettings.StreamChunks, c), BenchSettings.StreamConcurrency, int.MaxValue, seconds, ct));
        Report("throughput stream sidecar", stream.Sidecar);
        Report("throughput stream direct", stream.Direct);
        _results.Throughput.Add(new ThroughputFigure($"streaming ({BenchSettings.StreamChunks} chunks)", BenchSettings.StreamConcurrency, Stats(stream.Sidecar, s => s.TtltUs), Stats(stream.Direct, s => s.TtltUs), stream.SidecarCpu, stream.DirectCpu));
        return unary.Sidecar.Errors + unary.Direct.Errors + stream.Sidecar.Errors + stream.Direct.Errors;
    }

    private async Task<int> CancelAsync(CancellationToken ct)
    {
        var errors = 0;
        foreach (var stream in new[] { true, false })
        {
            var sidecar = new List<double>();
            var direct = new List<double>();
            for (var i = 0; i < settings.CancelCalls; i++)
            {
                foreach (ITarget target in new ITarget[] { _sidecar, _direct })
                {
                    var id = $"{(stream ? 's' : 'u')}{target.Name}{i}";
                    var model = UpstreamSpec.Model(chunks: BenchSettings.StreamChunks, hang: true, id: id);
                    try
                    {
                        var cancelledAt = await target.StartAndCancelAsync(model, stream, () => _upstream.WhenArrivedAsync(id, ct), ct);
                        var closedAt = await _upstream.AbortedAtAsync(id, ct);
                        (target == (ITarget)_sidecar ? sidecar : direct).Add(Ticks.ToMicros(closedAt - cancelledAt) / 1000.0);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        errors++;
                        log.WriteLine($"bench:   cancel {id}: {ex.GetType().Name}: {ex.Message}");
                    }
                }
            }

            var figure = new CancelFigure(stream ? "streaming, after the first chunk" : "unary, while the upstream works", Distribution.Of(sidecar), Distribution.Of(direct), errors);
            _results.Cancel.Add(figure);
            log.WriteLine($"bench:   cancel {figure.Kind}: sidecar p50 {figure.SidecarMs.P50:F2} ms p99 {figure.SidecarMs.P99:F2} ms; direct p50 {figure.DirectMs.P50:F2} ms");
        }

        return errors;
    }

    private async Task<int> CpuAsync(CancellationToken ct)
    {
        // Variants side by side, each warmed, then measured in rounds (A B C D A B C D); each figure
        // is the lower of its rounds, since other work on the machine can only add to CPU time.
        await using var quiet = await StartDaemonAsync("quiet", ["--Logging:LogLevel:Sidecar.Api.CompletionPipeline=Warning"], ct);
        using var quietTarget = new SidecarTarget(quiet.Channel, "bench");
        using var echo = new SidecarTarget(_main.Channel, "echo", echo: true);
        var variants = new (string Name, DaemonProcess? Daemon, ITarget Target)[]
        {
            ("sidecar → upstream (openai provider)", _main, _sidecar),
            ("sidecar, echo provider (no upstream, no SDK)", _main, echo),
            ("sidecar → upstream, call log off", quiet, quietTarget),
            ("direct (OpenAI SDK → upstream, no sidecar)", null, _direct),
        };

        var errors = 0;
        foreach (var (_, _, target) in variants)
        {
            var warm = await Load.ClosedLoopAsync((_, c) => target.UnaryAsync(UnaryModel, c), 8, settings.WarmupCalls / 2, TimeSpan.FromSeconds(30), ct);
            var warmStreams = await Load.ClosedLoopAsync((_, c) => target.StreamAsync(StreamModel, BenchSettings.StreamChunks, c), 8, settings.WarmupCalls / 10, TimeSpan.FromSeconds(30), ct);
            errors += warm.Errors + warmStreams.Errors;
        }

        await SettleAsync(quiet, ct);
        await SettleAsync(_main, ct);

        var rounds = new List<CpuFigure>();
        for (var round = 0; round < (settings.Smoke ? 1 : 2); round++)
        {
            foreach (var (name, daemon, target) in variants)
            {
                var (figures, e) = await CpuVariantAsync(name, daemon, target, ct);
                rounds.AddRange(figures);
                errors += e;
            }
        }

        foreach (var group in rounds.GroupBy(f => (f.Variant, f.Kind)))
        {
            var best = group.MinBy(f => double.IsNaN(f.DaemonMs) ? f.DriverMs : f.DaemonMs)!;
            _results.Cpu.Add(best with { Errors = group.Sum(f => f.Errors), Rounds = group.Count() });
            log.WriteLine($"bench:   cpu {best.Variant} {best.Kind}: daemon {best.DaemonMs:F3} ms/call, upstream {best.UpstreamMs:F3}, driver {best.DriverMs:F3}, others {best.OthersMs:F3} (rounds: {string.Join(" ", group.Select(f => f.DaemonMs.ToString("F3", CultureInfo.InvariantCulture)))})");
        }

        return errors;
    }

    private async Task<(List<CpuFigure> Figures, int Errors)> CpuVariantAsync(string variant, DaemonProcess? daemon, ITarget target, CancellationToken ct)
    {
        var pid = daemon?.Pid ?? _main.Pid;
        var unaryLimit = TimeSpan.FromSeconds(settings.CpuUnaryCalls / BenchSettings.CpuUnaryRate * 1.5 + 2);
        var window = new CpuWindow(pid, _upstream.Pid);
        var unary = await Load.OpenLoopAsync(c => target.UnaryAsync(UnaryModel, c), BenchSettings.CpuUnaryRate, settings.CpuUnaryCalls, unaryLimit, BenchSettings.MaxInFlight, ct);
        var unaryFigure = CpuFigureOf(variant, "unary", unary.Sent, unary.Errors, window.Stop(), daemon is not null);
        Report($"cpu {variant} unary", unary);

        var streamLimit = TimeSpan.FromSeconds(settings.CpuStreamCalls / BenchSettings.CpuStreamRate * 1.5 + 5);
        window = new CpuWindow(pid, _upstream.Pid);
        var stream = await Load.OpenLoopAsync(c => target.StreamAsync(StreamModel, BenchSettings.StreamChunks, c), BenchSettings.CpuStreamRate, settings.CpuStreamCalls, streamLimit, BenchSettings.MaxInFlight, ct);
        var streamFigure = CpuFigureOf(variant, $"stream of {BenchSettings.StreamChunks} chunks", stream.Sent, stream.Errors, window.Stop(), daemon is not null);
        Report($"cpu {variant} stream", stream);
        return ([unaryFigure, streamFigure], unary.Errors + stream.Errors);
    }

    private static CpuFigure CpuFigureOf(string variant, string kind, int calls, int errors, CpuUse cpu, bool hasDaemon)
    {
        double PerCall(double seconds) => calls > 0 ? seconds * 1000 / calls : double.NaN;
        return new CpuFigure(variant, kind, calls, errors, hasDaemon ? PerCall(cpu.Daemon) : double.NaN, PerCall(cpu.Upstream), PerCall(cpu.Driver), PerCall(cpu.Others), cpu.WallSeconds);
    }

    private async Task<int> CachedKeysAsync(CancellationToken ct)
    {
        var memory = _results.Memory;
        memory.KeysCount = settings.KeysCount;
        var dir = KeysDirectory("keys", "k", settings.KeysCount);
        try
        {
            await using var daemon = await StartDaemonAsync("keys", [$"--Sidecar:KeysDirectory={dir}", $"--Sidecar:DefaultEndpoint={_upstream.Endpoint}"], ct);
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
            log.WriteLine($"bench:   RSS fresh {memory.KeysFreshMiB:F1} MiB, after {settings.KeysCount} calls on one key {memory.KeysWarmOneKeyMiB:F1} MiB, after {settings.KeysCount} distinct keys {memory.Keys1000MiB:F1} MiB");
            return memory.KeysErrors;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private async Task<int> ChurnAsync(CancellationToken ct)
    {
        var memory = _results.Memory;
        memory.ChurnKeys = settings.ChurnKeys;
        memory.ChurnMaxEntries = settings.ChurnMaxEntries;
        var made = Ticks.Now;
        var dir = KeysDirectory("churn", "c", settings.ChurnKeys);
        log.WriteLine($"bench:   {settings.ChurnKeys} key files written in {Ticks.MicrosSince(made) / 1e6:F1} s");
        try
        {
            await using var daemon = await StartDaemonAsync("churn", [$"--Sidecar:KeysDirectory={dir}", $"--Sidecar:DefaultEndpoint={_upstream.Endpoint}", $"--Sidecar:ClientCache:MaxEntries={settings.ChurnMaxEntries}"], ct);
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
            log.WriteLine($"bench:   churn: {result.Throughput:F0} calls/s, RSS peak {memory.ChurnPeakMiB:F1} MiB, second-half slope {memory.ChurnSlopeMiBPer10k:F2} MiB per 10k keys");
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
