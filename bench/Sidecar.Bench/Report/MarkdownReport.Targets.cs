namespace Sidecar.Bench.Report;

/// <summary>The summary: every target figure, per server side by side, judged on the shipped daemon.</summary>
internal static partial class MarkdownReport
{
    private static void Targets(MarkdownWriter md, ReportInput input)
    {
        var daemons = input.Daemons;
        md.Heading("## Summary: AOT, JIT and the floor against the targets");
        md.Paragraph($"Targets are goals to compare against; nothing asserts them. The **met** column judges the {input.Judged} daemon " +
          "(\"**no**\" marks a miss; `bench/findings.md`, at the end of this page, says why). \"—\" means the figure does not apply " +
          "or the phase did not run. Ratios to the floor compare the daemon's `echo` path (answered inside the daemon) with the " +
          "floor's canned reply: the same request, the same socket, the same driver.");
        md.TableHeader("figure | " + string.Join(" | ", daemons.Select(d => d.Name)) + " | target | met", "l" + new string('r', daemons.Count) + "ll");
        foreach (var row in TargetRows(input))
        {
            var judged = daemons.Select((d, i) => (d, i)).FirstOrDefault(x => x.d.Name == input.Judged).i;
            var value = row.Values(input)[judged].Value;
            bool? met = row.Limit is { } limit && !double.IsNaN(value) ? value <= limit : null;
            md.Row([row.Figure, .. row.Values(input).Select(v => v.Text), row.Target, met switch { true => "yes", false => "**no**", null => "—" }]);
        }

        md.Line();
    }

    /// <summary>One row: its cells per server (text, and the value the target is judged on), the target and its limit.</summary>
    private sealed record TargetRow(string Figure, Func<ReportInput, List<(string Text, double Value)>> Values, string Target, double? Limit);

    private static readonly (string Text, double Value) None = ("—", double.NaN);

    private static IEnumerable<TargetRow> TargetRows(ReportInput input)
    {
        var m = input.Results.Daemons.FirstOrDefault()?.Memory ?? new MemoryFigures();
        yield return new("RSS idle (fresh start, after the readiness probe)", i => PerDaemon(i, d => MbCell(d.Memory.IdleFreshMiB)), "≤ 32 MB", 32 / MiBToMB);
        yield return new($"RSS with {Count(m.KeysCount)} cached key refs", i => PerDaemon(i, d => d.IsSidecar ? MbCell(d.Memory.Keys1000MiB) : None), "≤ 64 MB", 64 / MiBToMB);
        yield return new($"peak RSS under the {BenchSettings.CpuCallers}-caller load", i => PerDaemon(i, d => MbCell(d.Memory.PeakLoadMiB)), "≤ 80 MB", 80 / MiBToMB);
        yield return new($"RSS growth under the churn of {Count(m.ChurnKeys)} key refs (MaxEntries {Count(m.ChurnMaxEntries)}), per 10 000 keys once the cache is full", i => PerDaemon(i, Churn), "≤ 1 MB", 1 / MiBToMB);
        yield return new("start → SERVING, p50 (CPU used until then, p50)", i => PerDaemon(i, d => ($"{Ms(d.StartupMs.P50)} ({Ms(Distribution.Of(d.Startup.Select(s => s.CpuMs).ToList()).P50)})", d.StartupMs.P50)), "≤ 100 ms", 100);
        yield return new($"daemon CPU per unary call, `openai` → loopback upstream, {BenchSettings.CpuCallers} callers", i => CpuCells(i, "openai", "unary", BenchSettings.CpuCallers, floor: false), "≤ 0.15 ms", 0.15);
        yield return new("daemon CPU per unary call, `openai`, 1 caller", i => CpuCells(i, "openai", "unary", 1, floor: false), "—", null);
        yield return new($"daemon CPU per unary call, `openai-pool` (the same target through a one-member pool: routing's cost), {BenchSettings.CpuCallers} callers", i => CpuCells(i, BenchPaths.OpenAIPool, "unary", BenchSettings.CpuCallers, floor: false), "—", null);
        yield return new($"daemon CPU per unary call, `openai-http` (the OpenAI-compatible HTTP door), {BenchSettings.CpuCallers} callers", i => CpuCells(i, BenchPaths.OpenAIHttp, "unary", BenchSettings.CpuCallers, floor: false), "—", null);
        yield return new($"daemon CPU per unary call, `echo` (floor: its canned reply), {BenchSettings.CpuCallers} callers", i => CpuCells(i, "echo", "unary", BenchSettings.CpuCallers, floor: true), "≤ 0.10 ms (0.6× the floor)", 0.10);
        yield return new("daemon CPU per unary call, `echo`, 1 caller", i => CpuCells(i, "echo", "unary", 1, floor: true), "—", null);
        yield return new($"daemon CPU per {BenchSettings.StreamChunks}-chunk stream, `openai`, {BenchSettings.CpuCallers} callers", i => CpuCells(i, "openai", "stream", BenchSettings.CpuCallers, floor: false), "≤ 0.30 ms", 0.30);
        yield return new($"daemon CPU per {BenchSettings.StreamChunks}-chunk stream, `echo`, {BenchSettings.CpuCallers} callers", i => CpuCells(i, "echo", "stream", BenchSettings.CpuCallers, floor: true), "—", null);
        yield return new($"driver CPU per unary call (`echo`/floor, {BenchSettings.CpuCallers} callers): must stay under the server's", i => PerDaemon(i, d => DriverCell(i, d)), "< the server's", null);
        yield return new("added latency p50, one caller at 1 000 req/s open loop (`openai` − direct)", i => PerDaemon(i, d => Added(i, d, p => p.P50)), "≤ 150 µs", 150);
        yield return new("added latency p99, same run", i => PerDaemon(i, d => Added(i, d, p => p.P99)), "≤ 1 000 µs", 1000);
        yield return new("added latency p50 / p99 through the OpenAI-compatible HTTP door, same run (`openai-http` − direct)", i => PerDaemon(i, d => AddedBoth(i, d, BenchPaths.OpenAIHttp)), "—", null);
        yield return new("latency p50 / p99 of the `echo` path (floor: its reply) at 1 000 req/s, and p50 ratio to the floor", i => PerDaemon(i, d => EchoLatency(i, d)), "—", null);
        yield return new("image size estimate: publish folder + runtime-deps chiseled base (~13 MB, see Image size)", i => PerDaemon(i, d => d.PublishBytes > 0 ? ($"{Bytes(d.PublishBytes + BaseImageBytes)} ({Bytes(d.PublishBytes)} + base)", (d.PublishBytes + BaseImageBytes) / 1e6) : None), "≤ 50 MB", 50);
        yield return new("Unix-socket round trip between two processes, p50 / p99 (the absolute floor)", i => PerDaemon(i, d => d.Name == DaemonBuild.Floor && i.Results.SocketRoundTripUs.Count > 0 ? ($"{Us(i.Results.SocketRoundTripUs.P50)} / {Us(i.Results.SocketRoundTripUs.P99)}", double.NaN) : None), "—", null);
    }

    private static List<(string Text, double Value)> PerDaemon(ReportInput input, Func<DaemonFigures, (string Text, double Value)> cell) =>
        input.Daemons.Select(cell).ToList();

    private static (string Text, double Value) MbCell(double mib) => (Mb(mib), mib);

    private static (string Text, double Value) Churn(DaemonFigures d) =>
        !d.IsSidecar || d.Memory.Churn.Count < 2 ? None
        : ($"{d.Memory.ChurnSlopeMiBPer10k * MiBToMB:+0.00;-0.00} MB (peak {Mb(d.Memory.ChurnPeakMiB)})", d.Memory.ChurnSlopeMiBPer10k);

    /// <summary>The daemon's CPU on a path; with <paramref name="floor"/>, the floor's own figure in its column and the ratio to it in the others.</summary>
    private static List<(string Text, double Value)> CpuCells(ReportInput input, string path, string kind, int callers, bool floor)
    {
        var floorFigure = input.FloorCpu(kind, callers);
        return PerDaemon(input, d =>
        {
            if (!d.IsSidecar)
            {
                return floor && floorFigure is not null ? (CpuMs(floorFigure.DaemonMs), floorFigure.DaemonMs) : None;
            }

            var figure = input.Cpu(d.Name, path, kind, callers);
            if (figure is null)
            {
                return None;
            }

            var ratio = floor && floorFigure is not null ? $" ({Ratio(figure.DaemonMs / floorFigure.DaemonMs)} the floor)" : string.Empty;
            return (CpuMs(figure.DaemonMs) + ratio, figure.DaemonMs);
        });
    }

    private static (string Text, double Value) DriverCell(ReportInput input, DaemonFigures d)
    {
        var figure = input.Cpu(d.Name, d.IsSidecar ? "echo" : "floor", "unary", BenchSettings.CpuCallers);
        return figure is null ? None : ($"{CpuMs(figure.DriverMs)} ({(figure.DriverMs < figure.DaemonMs ? "under" : "**over**")} its {CpuMs(figure.DaemonMs)})", double.NaN);
    }

    private static (string Text, double Value) AddedBoth(ReportInput input, DaemonFigures d, string path)
    {
        if (!d.IsSidecar || input.Latency(d.Name, path) is not { } sidecar || input.Direct is not { } direct)
        {
            return None;
        }

        var s = sidecar.Stats.Latency;
        var x = direct.Stats.Latency;
        return ($"{Us(s.P50 - x.P50)} / {Us(s.P99 - x.P99)} ({Us(s.P50)} / {Us(s.P99)} vs {Us(x.P50)} / {Us(x.P99)})", double.NaN);
    }

    private static (string Text, double Value) Added(ReportInput input, DaemonFigures d, Func<Distribution, double> at)
    {
        if (!d.IsSidecar || input.Latency(d.Name, "openai") is not { } sidecar || input.Direct is not { } direct)
        {
            return None;
        }

        var added = at(sidecar.Stats.Latency) - at(direct.Stats.Latency);
        return ($"{Us(added)} ({Us(at(sidecar.Stats.Latency))} vs {Us(at(direct.Stats.Latency))})", added);
    }

    private static (string Text, double Value) EchoLatency(ReportInput input, DaemonFigures d)
    {
        var path = input.Latency(d.Name, d.IsSidecar ? "echo" : "floor");
        var floor = input.Latency(DaemonBuild.Floor, "floor");
        if (path is null)
        {
            return None;
        }

        var ratio = d.IsSidecar && floor is not null ? $"; {Ratio(path.Stats.Latency.P50 / floor.Stats.Latency.P50)}" : string.Empty;
        return ($"{Us(path.Stats.Latency.P50)} / {Us(path.Stats.Latency.P99)}{ratio}", double.NaN);
    }

    /// <summary>
    /// The runtime-deps chiseled base, uncompressed: the figure docs/deployment.md uses (about 13 MB);
    /// Canonical's announcement of chiselled Ubuntu base images for self-contained .NET apps calls them
    /// "6 MB-size" (compressed). No Docker engine here to measure it.
    /// </summary>
    private const long BaseImageBytes = 13_000_000;

    private static void OtherFigures(MarkdownWriter md, ReportInput input)
    {
        var r = input.Results;
        md.Heading($"### More figures of the {input.Judged} daemon");
        md.TableHeader("figure | measured | direct baseline | target | met", "lllll");
        if (r.Stream is { } st)
        {
            Judge(md, "streaming added time to first token p50", Us(st.AddedTtft.P50), Us(st.DirectTtft.Latency.P50) + " (direct p50)", "≤ 200 µs", st.AddedTtft.P50 <= 200);
            Judge(md, "streaming added per-chunk relay delay p50", Us(st.AddedRelay.P50), Us(st.DirectRelay.P50) + " (direct p50)", "≤ 50 µs", st.AddedRelay.P50 <= 50);
        }

        if (input.Micro.FirstOrDefault(m => m.Name == "CacheHit") is { } hit)
        {
            Judge(md, "client cache hit (BenchmarkDotNet)", $"{hit.MeanNs:F0} ns, {hit.AllocatedBytes} B allocated", "—", "< 1 µs, no allocation", hit.MeanNs < 1000 && hit.AllocatedBytes == 0);
        }

        if (r.Cancel.FirstOrDefault() is { SidecarMs.Count: > 0 } cancel)
        {
            Judge(md, "cancel → upstream sees the connection close, p99 (stream)", Ms(cancel.SidecarMs.P99), Ms(cancel.DirectMs.P99) + " (direct p99)", "≤ 100 ms", cancel.SidecarMs.P99 <= 100);
        }

        Judge(md, "highest open-loop unary rate sustained without errors", $"{Count(r.MaxSustainedRate)} req/s", "—", "—", null);
        md.Line();
    }

    private static void Judge(MarkdownWriter md, string figure, string measured, string baseline, string target, bool? met) =>
        md.Row(figure, measured, baseline, target, met switch { true => "yes", false => "**no**", null => "—" });
}
