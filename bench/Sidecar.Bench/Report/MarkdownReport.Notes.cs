namespace Sidecar.Bench.Report;

/// <summary>The explanatory sections: method, micro-benchmarks, findings, the previous run.</summary>
internal static partial class MarkdownReport
{
    private static void Method(MarkdownWriter md, ReportInput input)
    {
        var r = input.Results;
        md.Heading("## Method");
        md.Line("- **Processes.** Each server, the upstream and the driver run as their own processes, so each one's CPU and memory " +
          "can be read from `/proc`: the daemon as **AOT** binary (the published Native AOT `Sidecar`) and on the **JIT** " +
          "(`dotnet src/Sidecar/bin/Release/net10.0/Sidecar.dll`), both Release builds with default settings, their logs to a file, " +
          "each on a temporary Unix socket; the **floor** (`bench/floor`, a minimal grpc-go server of the same proto built from " +
          "Debian's grpc packages, answering with the request's last message, unary or word by word); a fast OpenAI-compatible upstream " +
          "(`Sidecar.Bench upstream`, Kestrel on 127.0.0.1, pre-rendered JSON and SSE); and the driver (`Sidecar.Bench run`).");
        md.Line("- **Paths, one request.** Every call is made through a daemon (Grpc.Net.Client over the Unix socket; key_ref " +
          "`bench` → the upstream, the `openai` path, or key_ref `echo`, answered inside the daemon), through the floor, and directly " +
          "with the OpenAI .NET SDK 2.15.0 to the same upstream, configured as the daemon configures its own (own pooled " +
          "`SocketsHttpHandler`, SDK retries off). The request is a system and a user message with `max_tokens` and `temperature`; " +
          "the upstream answers at once (no model delay), so the direct path measures the SDK and loopback HTTP, and the sidecar " +
          "path adds the gRPC hop and the daemon.");
        md.Line("- **Open loop** (fixed rate): a dispatcher thread wakes every millisecond and starts every call that is due, " +
          "whatever earlier calls are doing, so a slow answer cannot hold back the load (no coordinated omission). Latency " +
          "is from the start of each call to its complete answer. Blocks alternate (A B … B A) and each path's two blocks " +
          "are merged. **Closed loop** (fixed concurrency) gives the throughput and the CPU per call.");
        var warmup = (r.Smoke ? BenchSettings.SmokeRun : BenchSettings.Full).WarmupCalls;
        md.Line($"- **Warm-up**: {Count(warmup)} unary calls and a tenth as many streams per path and server, then a wait until each server and the driver " +
          "are quiet (under 5% of a core for two 250 ms windows), then a third as many calls and the same wait, before anything is measured. " +
          "The wait matters for the JIT daemon: after a burst of new work the runtime recompiles hot methods in the background (tier 1 with PGO) for seconds." +
          (r.Settles.Count > 0
              ? $" In this run the waits took {string.Join(", ", r.Settles.Select(x => $"{x.Daemon} {x.Seconds:F1} s ({x.DaemonCpuSeconds:F2} s of CPU)"))}."
              : string.Empty));
        md.Line($"- **Streaming**: the upstream sends {BenchSettings.StreamChunks} content chunks, {BenchSettings.StreamIntervalMs} ms apart, each " +
          "flushed on its own, then a finish chunk, a usage chunk and `[DONE]`. Each content chunk carries the monotonic " +
          "time the upstream wrote it; the driver (same machine, same clock) subtracts it from the time it read the chunk: " +
          "that is the **per-chunk relay delay**. Time to first/last token is from the call's start to the first/last content chunk.");
        md.Line("- **Memory**: VmRSS from `/proc/<pid>/status`. Cached key refs: a keys directory of one file per key_ref " +
          "(`Sidecar:KeysDirectory`), the same number of calls first on one key (so the difference is the clients, not the " +
          "load) and then one call per distinct key. Churn: one call per distinct key_ref with `ClientCache:MaxEntries` set, " +
          "RSS sampled every 250 ms; the growth is the least-squares slope over the second half.");
        md.Line("- **Socket round trip**: `bench/floor rtt`, one-byte blocking write and read over a socketpair to a child process " +
          $"that echoes it ({Count((r.Smoke ? BenchSettings.SmokeRun : BenchSettings.Full).RoundTrips)} round trips after a tenth as many unmeasured): " +
          "two cross-process wake-ups and nothing else, the least any call through a sidecar can add.");
        md.Line("- **Cancel**: a call to an upstream that never finishes; once the upstream has it (stream: the first chunk " +
          "arrived; unary: the upstream reported it), the agent cancels its token; the upstream records when ASP.NET Core's " +
          "`RequestAborted` fires for that request. Both times come from the same monotonic clock.");
        md.Line("- **Micro-benchmarks**: BenchmarkDotNet 0.15.8, in-process (JIT), short job (3 warm-ups, 3 iterations), MemoryDiagnoser.");
        md.Line();
    }

    private static void MicroBenchmarks(MarkdownWriter md, ReportInput input)
    {
        md.Heading("## Micro-benchmarks (the daemon's per-call path, BenchmarkDotNet)");
        if (input.Micro.Count == 0)
        {
            md.Paragraph("Not run in this pass.");
            return;
        }

        md.TableHeader("benchmark | mean | ± (std. error) | allocated per call", "lrrr");
        foreach (var b in input.Micro)
        {
            md.Row($"`{b.Name}`", $"{b.MeanNs:F1} ns", $"{b.ErrorNs:F1} ns", $"{b.AllocatedBytes} B");
        }

        md.Line();
        md.Paragraph("`CacheHit`: `ClientCache.GetOrCreate` for a cached key. `ResolveKeyHit`: `KeyResolver.Resolve` from its cache. " +
          "`GetChatClient`: `OpenAIClient.GetChatClient(model)`, what the daemon did on every call; `ChatClientHit`: the same from `ChatClientCache`, what it does now. `Validate`: `RequestValidator.Validate` on the bench request. " +
          "`MapRequest`: `ChatRequestMapper.Messages` + `Options`. `MapChunk`: `ChatResponseMapper.Chunk` for one streamed token. " +
          "`EchoUnary` / `EchoStream`: the whole daemon, in process over a real Unix socket (Kestrel, gRPC, the pipeline, the echo provider), " +
          "one call with Grpc.Net.Client: the allocations include the client's.");
    }

    private static void Findings(MarkdownWriter md, ReportInput input)
    {
        if (input.Findings.Length > 0)
        {
            md.Paragraph(input.Findings.TrimEnd());
        }
    }

    private static void PreviousRun(MarkdownWriter md, ReportInput input)
    {
        var (r, previous) = (input.Results, input.Previous);
        if (previous is null || previous.Smoke)
        {
            return;
        }

        var judged = input.Judged;
        md.Heading("## This run and the previous one");
        md.Paragraph($"Headline figures of the {judged} daemon beside the run before it (read from the previous `results.json`): the spread is the noise of a shared machine.");
        md.TableHeader("figure | previous run | this run", "lrr");
        Compare(md, "unary 1 000/s added p50", previous, r, x => x.Unary.FirstOrDefault(u => u.Rate == BenchSettings.FastRate && u.Daemon == x.MainDaemon)?.Added.P50, Us);
        Compare(md, "unary 1 000/s added p99", previous, r, x => x.Unary.FirstOrDefault(u => u.Rate == BenchSettings.FastRate && u.Daemon == x.MainDaemon)?.Added.P99, Us);
        Compare(md, "streaming added TTFT p50", previous, r, x => x.Stream?.AddedTtft.P50, Us);
        Compare(md, "streaming added relay p50", previous, r, x => x.Stream?.AddedRelay.P50, Us);
        Compare(md, $"daemon CPU per unary call, openai, {BenchSettings.CpuCallers} callers", previous, r, x => x.Cpu.FirstOrDefault(c => c.Daemon == x.MainDaemon && c.Path == "openai" && c.Kind == "unary" && c.Callers == BenchSettings.CpuCallers)?.DaemonMs, CpuMs);
        Compare(md, $"daemon CPU per unary call, echo, {BenchSettings.CpuCallers} callers", previous, r, x => x.Cpu.FirstOrDefault(c => c.Daemon == x.MainDaemon && c.Path == "echo" && c.Kind == "unary" && c.Callers == BenchSettings.CpuCallers)?.DaemonMs, CpuMs);
        Compare(md, "daemon CPU per stream, openai", previous, r, x => x.Cpu.FirstOrDefault(c => c.Daemon == x.MainDaemon && c.Path == "openai" && c.Kind == "stream")?.DaemonMs, CpuMs);
        Compare(md, "highest sustained unary rate (/s)", previous, r, x => x.MaxSustainedRate, v => v.ToString("F0", CultureInfo.InvariantCulture));
        Compare(md, "RSS idle", previous, r, x => x.Daemons.FirstOrDefault(d => d.Name == x.MainDaemon)?.Memory.IdleFreshMiB, Mb);
        Compare(md, "RSS, 1 000 cached key refs", previous, r, x => x.Daemons.FirstOrDefault(d => d.Name == x.MainDaemon)?.Memory.Keys1000MiB, Mb);
        Compare(md, "start-up p50", previous, r, x => x.Daemons.FirstOrDefault(d => d.Name == x.MainDaemon)?.StartupMs.P50, Ms);
        md.Row("(runs)", $"{previous.StartedUtc} ({(previous.MainDaemon.Length > 0 ? previous.MainDaemon : "JIT")})", $"{r.StartedUtc} ({judged})");
        md.Line();
    }

    private static void Compare(MarkdownWriter md, string name, BenchResults previous, BenchResults current, Func<BenchResults, double?> value, Func<double, string> format)
    {
        var a = value(previous);
        var b = value(current);
        if (a is null && b is null)
        {
            return;
        }

        md.Row(name, a is { } x ? format(x) : "—", b is { } y ? format(y) : "—");
    }
}
