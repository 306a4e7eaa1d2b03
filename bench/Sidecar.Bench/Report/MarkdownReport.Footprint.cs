namespace Sidecar.Bench.Report;

/// <summary>The footprint sections: CPU per call, memory, start-up, image size.</summary>
internal static partial class MarkdownReport
{
    private static void CpuPerCall(MarkdownWriter md, ReportInput input)
    {
        var r = input.Results;
        if (r.Cpu.Count == 0)
        {
            return;
        }

        md.Heading("## CPU per call");
        md.Paragraph($"Closed loop for {(r.Smoke ? BenchSettings.SmokeRun : BenchSettings.Full).CpuSeconds:F1} s per row and round, at {BenchSettings.CpuCallers} callers and at 1; " +
          $"streams of {BenchSettings.StreamChunks} chunks (`openai`: {BenchSettings.StreamIntervalMs} ms apart from the upstream; `echo` and the floor: at once). " +
          "CPU is user+system time from `/proc/<pid>/stat` (10 ms ticks) over the row's run divided by its calls, in ms; each row is the median " +
          "of its rounds (the rounds run every row in turn, the order turning each round), and the server's figure of every round is listed. " +
          "The direct row has no server: its driver and upstream columns show what the call costs without a sidecar. " +
          "\"Other work\" is everyone else's CPU on the machine during the row, per call, for scale.");
        md.TableHeader("server | path | call | callers | calls | server | rounds | vs floor | upstream | driver | other work | errors", "lllrrrlrrrrr");
        foreach (var c in r.Cpu.OrderBy(c => c.Kind).ThenByDescending(c => c.Callers))
        {
            var floor = input.FloorCpu(c.Kind, c.Callers);
            var vsFloor = c.Path is "echo" && floor is not null ? Ratio(c.DaemonMs / floor.DaemonMs) : "—";
            md.Row(
                c.Daemon.Length == 0 ? "—" : c.Daemon, c.Path, c.Kind, $"{c.Callers}", $"{c.Calls}", CpuMs(c.DaemonMs),
                c.DaemonRounds.All(double.IsNaN) ? "—" : string.Join(" ", c.DaemonRounds.Select(d => d.ToString("F3", CultureInfo.InvariantCulture))), vsFloor,
                CpuMs(c.UpstreamMs), CpuMs(c.DriverMs), CpuMs(c.OthersMs), $"{c.Errors}");
        }

        md.Line();
        md.Paragraph("Idle CPU, ms per second: " + string.Join("; ", input.Daemons.Where(d => !double.IsNaN(d.IdleCpuMsPerSecond))
            .Select(d => $"{d.Name} {d.IdleCpuMsPerSecond:F1} just after start, {d.IdleAfterLoadCpuMsPerSecond:F1} after the load phases")) + ".");
    }

    private static void Memory(MarkdownWriter md, ReportInput input)
    {
        var daemons = input.Daemons;
        md.Heading("## Memory");
        md.TableHeader("state (VmRSS) | " + string.Join(" | ", daemons.Select(d => d.Name)), "l" + new string('r', daemons.Count));
        MemoryRow(md, daemons, "fresh start, idle (after the readiness probe)", d => d.Memory.IdleFreshMiB);
        MemoryRow(md, daemons, $"highest while {BenchSettings.CpuCallers} callers load it (sampled every 50 ms)", d => d.Memory.PeakLoadMiB);
        MemoryRow(md, daemons, "after all the latency and CPU phases, idle", d => d.Memory.IdleAfterLoadMiB);
        var keys = daemons.FirstOrDefault(d => d.Memory.KeysCount > 0)?.Memory;
        if (keys is not null)
        {
            MemoryRow(md, daemons, $"keys directory of {Count(keys.KeysCount)} files, fresh", d => d.IsSidecar ? d.Memory.KeysFreshMiB : double.NaN);
            MemoryRow(md, daemons, $"after {Count(keys.KeysCount)} calls on one key_ref", d => d.IsSidecar ? d.Memory.KeysWarmOneKeyMiB : double.NaN);
            MemoryRow(md, daemons, $"after one call each on {Count(keys.KeysCount)} distinct key_refs ({Count(keys.KeysCount)} cached clients)", d => d.IsSidecar ? d.Memory.Keys1000MiB : double.NaN);
            md.Row(["per cached client", .. daemons.Select(d => d.IsSidecar && d.Memory.KeysCount > 0 ? $"{(d.Memory.Keys1000MiB - d.Memory.KeysWarmOneKeyMiB) * 1024 / d.Memory.KeysCount:F1} KiB" : "—")]);
        }

        md.Line();
        foreach (var d in daemons.Where(d => d.Memory.Churn.Count > 1))
        {
            var m = d.Memory;
            md.Paragraph($"Churn, {d.Name}: {Count(m.ChurnKeys)} distinct key_refs, one call each (16 callers, {m.ChurnSeconds:F0} s, {m.ChurnErrors} errors), through a cache of `MaxEntries` = {Count(m.ChurnMaxEntries)}. " +
              $"Peak RSS {Mb(m.ChurnPeakMiB)}; over the second half the RSS moved {m.ChurnSlopeMiBPer10k * MiBToMB:+0.00;-0.00} MB per 10 000 keys.");
            var marks = new[] { 0.1, 0.25, 0.5, 0.75, 1.0 };
            md.TableHeader("keys used | " + string.Join(" | ", marks.Select(q => Count((int)(q * m.ChurnKeys)))), "l" + new string('r', marks.Length));
            md.Row(["RSS", .. marks.Select(q => Mb(m.Churn.Where(p => p.Calls <= q * m.ChurnKeys).Select(p => p.RssMiB).DefaultIfEmpty(double.NaN).Last()))]);
            md.Line();
        }

        if (input.Plots.Contains(Plots.ChurnRss))
        {
            md.Paragraph($"![RSS under key churn]({input.PlotPrefix}{Plots.ChurnRss})");
        }
    }

    private static void MemoryRow(MarkdownWriter md, IReadOnlyList<DaemonFigures> daemons, string state, Func<DaemonFigures, double> mib) =>
        md.Row([state, .. daemons.Select(d => Mb(mib(d)))]);

    private static void Startup(MarkdownWriter md, ReportInput input)
    {
        md.Heading("## Start-up");
        md.Paragraph("From asking the OS to start the process to `grpc.health.v1` `readiness` answering SERVING on its socket (polled every millisecond); the servers start in turn (AOT, JIT, floor, AOT, …). " +
          "On a busy machine the wall time is mostly waiting for a core; the CPU the process used until it was ready is what start-up costs, and what it would take on an idle core.");
        md.TableHeader("server | ready after (each start) | p50 | max | CPU used until ready (each start; 10 ms ticks) | RSS when ready", "lllrll");
        foreach (var d in input.Daemons.Where(d => d.Startup.Count > 0))
        {
            md.Row(d.Name, string.Join(", ", d.Startup.Select(s => $"{s.ReadyMs:F0} ms")), Ms(d.StartupMs.P50), Ms(d.StartupMs.Max), string.Join(", ", d.Startup.Select(s => $"{s.CpuMs:F0} ms")), string.Join(", ", d.Startup.Select(s => Mb(s.RssMiB))));
        }

        md.Line();
    }

    private static void ImageSize(MarkdownWriter md, ReportInput input)
    {
        var published = input.Daemons.Where(d => d.PublishBytes > 0).ToList();
        md.Heading("## Image size (estimate)");
        if (published.Count == 0)
        {
            md.Paragraph("No published folder was measured in this run.");
            return;
        }

        foreach (var d in published)
        {
            md.Line($"- {d.Name}: published folder {Bytes(d.PublishBytes)} (debug symbols excluded) + base ~{Bytes(BaseImageBytes)} = **~{Bytes(d.PublishBytes + BaseImageBytes)}**.");
        }

        md.Line();
        md.Paragraph("There is no Docker engine on the bench machine, so the image is estimated, not built: the published folder " +
          "(what the Dockerfile copies, without the `.dbg` symbols) plus the `runtime-deps:10.0-noble-chiseled` base at about 13 MB " +
          "uncompressed, the figure `docs/deployment.md` uses (Canonical announced chiselled Ubuntu base images for self-contained " +
          ".NET apps as \"6 MB-size\", compressed). The AOT binary needs no .NET runtime in the image.");
    }
}
