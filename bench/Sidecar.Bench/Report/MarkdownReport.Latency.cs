namespace Sidecar.Bench.Report;

/// <summary>The latency sections: unary at fixed rates, side by side, the ramp, streaming, throughput, cancel.</summary>
internal static partial class MarkdownReport
{
    private static void UnaryLatency(MarkdownWriter md, ReportInput input)
    {
        md.Heading("## Unary latency");
        foreach (var u in input.Results.Unary.Where(u => u.Daemon.Length == 0 || u.Daemon == input.Judged))
        {
            md.Heading($"### {u.Name}, {input.Judged} daemon");
            md.TableHeader("path | p50 | p90 | p99 | max | calls | errors | achieved/s", "lrrrrrrr");
            PathRow(md, "sidecar", u.Sidecar);
            PathRow(md, "direct", u.Direct);
            md.Row("**added**", $"**{Us(u.Added.P50)}**", Us(u.Added.P90), $"**{Us(u.Added.P99)}**", Us(u.Added.Max), string.Empty, string.Empty, string.Empty);
            md.Line();
            md.Paragraph($"Daemon CPU during the sidecar blocks: {u.DaemonCpuMsPerCall:F3} ms per call ({u.SidecarCpu.Daemon / Math.Max(u.SidecarCpu.WallSeconds, 1e-9) * 100:F0}% of one core). " +
              $"Other work on the machine: {u.SidecarCpu.Others / Math.Max(u.SidecarCpu.WallSeconds, 1e-9):F2} cores during the sidecar blocks, {u.DirectCpu.Others / Math.Max(u.DirectCpu.WallSeconds, 1e-9):F2} during the direct ones.");
        }

        if (input.Plots.Contains(Plots.UnaryCdf))
        {
            md.Paragraph($"![Unary latency CDF, sidecar vs direct]({input.PlotPrefix}{Plots.UnaryCdf})");
        }
    }

    private static void SideBySideLatency(MarkdownWriter md, ReportInput input)
    {
        var rows = input.Results.SideBySide;
        if (rows.Count == 0)
        {
            return;
        }

        md.Heading("### 1 000 req/s, every server and path in the same run");
        md.Paragraph("One caller (one channel per server) at 1 000 req/s open loop, in blocks A B C … C B A. `openai` goes to the " +
          "bench upstream through the OpenAI SDK; `openai-http` is the same call sent by the OpenAI .NET SDK to the daemon's " +
          "OpenAI-compatible door (HTTP/1.1 on `openai.sock`, the key_ref as API key) instead of gRPC; `echo` is answered inside the daemon; the floor answers the same request " +
          "with a canned reply; direct is the OpenAI SDK calling the upstream with no sidecar. Added is against direct.");
        md.TableHeader("server | path | p50 | p90 | p99 | max | calls | errors | added p50 | added p99 | server CPU per call", "llrrrrrrrrr");
        var direct = input.Direct?.Stats.Latency;
        foreach (var p in rows)
        {
            var s = p.Stats;
            var added = BenchPaths.IsOpenAI(p.Path) && direct is not null ? (Us(s.Latency.P50 - direct.P50), Us(s.Latency.P99 - direct.P99)) : ("—", "—");
            var cpu = p.Path == "direct" || s.Sent == 0 ? "—" : CpuMs(p.Cpu.Daemon * 1000 / s.Sent);
            md.Row(p.Daemon.Length == 0 ? "—" : p.Daemon, p.Path, Us(s.Latency.P50), Us(s.Latency.P90), Us(s.Latency.P99), Us(s.Latency.Max), s.Sent.ToString(System.Globalization.CultureInfo.InvariantCulture), s.Errors.ToString(System.Globalization.CultureInfo.InvariantCulture), added.Item1, added.Item2, cpu);
        }

        md.Line();
    }

    private static void Ramp(MarkdownWriter md, ReportInput input)
    {
        var r = input.Results;
        if (r.Ramp.Count == 0)
        {
            return;
        }

        md.Heading("### Highest rate sustained without errors");
        md.Paragraph($"Open-loop steps through the {input.Judged} daemon, 1.35× apart, until a step has an error, a call that could not start, a p99 over 50 ms, or a driver more than 5 ms behind its schedule (p99).");
        md.TableHeader("offered/s | achieved/s | p50 | p99 | errors | driver lag p99 | sustained", "rrrrrrl");
        foreach (var s in r.Ramp)
        {
            md.Row($"{s.Rate:F0}", $"{s.Throughput:F0}", Us(s.P50Us), Us(s.P99Us), $"{s.Errors}", Us(s.DispatchLagP99Us), s.Sustained ? "yes" : "no: " + s.Why);
        }

        md.Line();
        md.Paragraph($"Highest sustained: **{r.MaxSustainedRate:F0} req/s** (its side-by-side figure is in the tables above when it is over 1 000/s).");
    }

    private static void Streaming(MarkdownWriter md, ReportInput input)
    {
        if (input.Results.Stream is not { } s)
        {
            return;
        }

        md.Heading($"## Streaming ({s.Chunks} chunks, {s.IntervalMs} ms apart, {s.Rate:F0} streams/s open loop, {input.Judged} daemon)");
        md.TableHeader("figure | path | p50 | p90 | p99 | max", "llrrrr");
        DistRow(md, "time to first token", "sidecar", s.SidecarTtft.Latency);
        DistRow(md, string.Empty, "direct", s.DirectTtft.Latency);
        DistRow(md, string.Empty, "**added**", s.AddedTtft);
        DistRow(md, "per-chunk relay delay", "sidecar", s.SidecarRelay);
        DistRow(md, string.Empty, "direct", s.DirectRelay);
        DistRow(md, string.Empty, "**added**", s.AddedRelay);
        DistRow(md, "time to last token", "sidecar", s.SidecarTtlt);
        DistRow(md, string.Empty, "direct", s.DirectTtlt);
        DistRow(md, string.Empty, "**added**", s.AddedTtlt);
        md.Line();
        md.Paragraph($"Streams: {s.SidecarTtft.Sent} through the sidecar ({s.SidecarTtft.Errors} errors), {s.DirectTtft.Sent} direct ({s.DirectTtft.Errors} errors). " +
          "The direct relay delay is the SDK's own: loopback HTTP plus SSE parsing.");
        if (input.Plots.Contains(Plots.TtftCdf))
        {
            md.Paragraph($"![Time to first token CDF]({input.PlotPrefix}{Plots.TtftCdf})");
        }
    }

    private static void Throughput(MarkdownWriter md, ReportInput input)
    {
        if (input.Results.Throughput.Count == 0)
        {
            return;
        }

        md.Heading($"## Maximum throughput (closed loop, {input.Judged} daemon)");
        md.TableHeader("kind | callers | sidecar calls/s | direct calls/s | ratio | sidecar p50 / p99 | direct p50 / p99 | daemon CPU (cores)", "lrrrrllr");
        foreach (var t in input.Results.Throughput)
        {
            var ratio = t.Direct.Throughput > 0 ? t.Sidecar.Throughput / t.Direct.Throughput : double.NaN;
            md.Row(t.Kind, $"{t.Concurrency}", $"{t.Sidecar.Throughput:F0}", $"{t.Direct.Throughput:F0}", $"{ratio:F2}", $"{Us(t.Sidecar.Latency.P50)} / {Us(t.Sidecar.Latency.P99)}", $"{Us(t.Direct.Latency.P50)} / {Us(t.Direct.Latency.P99)}", $"{t.SidecarCpu.Daemon / Math.Max(t.SidecarCpu.WallSeconds, 1e-9):F2}");
        }

        md.Line();
        md.Paragraph("With the driver, the upstream and the daemon on the same cores, the sidecar path's ceiling is the machine's: every call costs CPU in three processes instead of two. Streaming latency here is time to the last token.");
    }

    private static void Cancel(MarkdownWriter md, ReportInput input)
    {
        if (input.Results.Cancel.Count == 0)
        {
            return;
        }

        md.Heading($"## Cancellation reaching the upstream ({input.Judged} daemon)");
        md.Paragraph("Time from the agent cancelling its call to the upstream seeing its request aborted, in ms.");
        md.TableHeader("call | path | p50 | p90 | p99 | max | calls", "llrrrrr");
        foreach (var c in input.Results.Cancel)
        {
            md.Row(c.Kind, "sidecar", Ms(c.SidecarMs.P50), Ms(c.SidecarMs.P90), Ms(c.SidecarMs.P99), Ms(c.SidecarMs.Max), $"{c.SidecarMs.Count}");
            md.Row(string.Empty, "direct", Ms(c.DirectMs.P50), Ms(c.DirectMs.P90), Ms(c.DirectMs.P99), Ms(c.DirectMs.Max), $"{c.DirectMs.Count}");
        }

        md.Line();
    }

    private static void PathRow(MarkdownWriter md, string name, PathStats p) =>
        md.Row(name, Us(p.Latency.P50), Us(p.Latency.P90), Us(p.Latency.P99), Us(p.Latency.Max), $"{p.Sent}", $"{p.Errors}", $"{p.Throughput:F0}");

    private static void DistRow(MarkdownWriter md, string figure, string path, Distribution d) =>
        md.Row(figure, path, Us(d.P50), Us(d.P90), Us(d.P99), Us(d.Max));
}
