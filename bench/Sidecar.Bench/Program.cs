using System.Text.Json;
using Sidecar.Bench.Report;
using Sidecar.FakeUpstream;

// Sidecar.Bench upstream
//     The fake upstream (tests/Sidecar.FakeUpstream, whose bench-* models are the bench's) on 127.0.0.1
//     (a free port, printed as "port=N"); exits when stdin closes.
// Sidecar.Bench render --repo DIR [--out DIR] [--doc FILE] [--micro FILE] [--findings FILE]
//     Writes the report again from --out's results.json and the figures already there (after editing
//     bench/findings.md or the report's layout), without running anything.
// Sidecar.Bench run --repo DIR [--smoke] [--out DIR] [--doc FILE] [--micro FILE] [--findings FILE] [--commit SHA]
//                   [--aot BINARY] [--floor BINARY] [--no-jit]
//                   [--only PHASE,...] [--daemon-env NAME=VALUE]... [--daemon-arg ARG]... [--daemon-dll PATH]
//     The load run. --out gets results.json and the PNG figures, --doc the Markdown report.
//     --aot: the published Native AOT daemon, measured beside the JIT one (and the main daemon of the
//     detailed phases); --floor: bench/floor's binary (the floor reference and the socket round trip).
//     --aot-b BINARY [--aot-b-env NAME=VALUE]... [--aot-b-arg ARG]...: an A/B experiment, a second AOT daemon (or the same
//     binary with other environment) measured beside the first in the same alternating rounds.
//     --only/--daemon-env/--daemon-arg/--daemon-dll make an experiment (a subset, or the daemon run or built
//     differently); see BenchOptions.
//     --smoke: a few seconds of every phase; prints "bench-smoke-checks: passed=N failed=M" and exits 1 on a failure.
if (args.Length > 0 && args[0] == "upstream")
{
    await using var upstream = await FakeUpstreamServer.StartAsync(port: 0);
    Console.WriteLine($"port={upstream.Port}");
    // The driver holds our stdin: when it goes away, so do we (no orphan upstreams).
    await Task.WhenAny(Task.Run(() => Console.In.ReadToEnd()), Task.Delay(Timeout.Infinite, upstream.Stopping));
    return 0;
}

if (args.Length > 0 && args[0] == "render")
{
    return Render(args);
}

if (args.Length == 0 || args[0] != "run")
{
    Console.Error.WriteLine("usage: Sidecar.Bench run --repo DIR [--smoke] [--out DIR] [--doc FILE] [--micro FILE] [--findings FILE] [--commit SHA] | Sidecar.Bench render --repo DIR [--out DIR] [--doc FILE] | Sidecar.Bench upstream");
    return 2;
}

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var smoke = args.Contains("--smoke");
var options = BenchOptions.Parse(args);
if ((options.IsExperiment || Option("--daemon-dll") is not null || Option("--aot-b") is not null) && (Option("--out") is null || Option("--doc") is null))
{
    Console.Error.WriteLine("bench: an experiment (--only, --daemon-env, --daemon-arg, --daemon-dll) needs --out and --doc, so it does not overwrite the published report.");
    return 2;
}

var repo = Path.GetFullPath(Option("--repo") ?? ".");
var outDir = Path.GetFullPath(Option("--out") ?? Path.Combine(repo, "docs", "bench"));
var docPath = Path.GetFullPath(Option("--doc") ?? Path.Combine(repo, "docs", "benchmarks.md"));
var daemonDll = Option("--daemon-dll") is { } dll ? Path.GetFullPath(dll) : Path.Combine(repo, "src", "Sidecar", "bin", "Release", "net10.0", "Sidecar.dll");
if (!File.Exists(daemonDll))
{
    Console.Error.WriteLine($"bench: {daemonDll} not found: build the daemon in Release first (bench/run.sh does).");
    return 2;
}

var workDir = Directory.CreateTempSubdirectory("sidecar-bench-").FullName;
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var builds = new List<DaemonBuild>();
foreach (var (option, make) in new (string, Func<string, DaemonBuild>)[] { ("--aot", DaemonBuild.AotBinary), ("--floor", DaemonBuild.FloorServer) })
{
    if (Option(option) is { } path)
    {
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"bench: {option} {path}: no such file");
            return 2;
        }

        builds.Add(make(Path.GetFullPath(path)));
    }
}

if (Option("--aot-b") is { } variant)
{
    var env = new Dictionary<string, string>(StringComparer.Ordinal);
    var variantArgs = new List<string>();
    for (var i = 0; i < args.Length - 1; i++)
    {
        if (args[i] == "--aot-b-env" && args[i + 1].Split('=', 2) is [var name, var value])
        {
            env[name] = value;
        }
        else if (args[i] == "--aot-b-arg")
        {
            variantArgs.Add(args[i + 1]);
        }
    }

    builds.Insert(1, DaemonBuild.AotVariant(Path.GetFullPath(variant), env, variantArgs));
}

if (!args.Contains("--no-jit") || builds.All(b => !b.IsSidecar))
{
    builds.Insert(builds.Count(b => b.IsSidecar), DaemonBuild.JitDll(daemonDll));
}

var run = new BenchRun(smoke ? BenchSettings.SmokeRun : BenchSettings.Full, options, builds, workDir, Console.Out);
BenchResults results;
try
{
    results = await run.RunAsync(Option("--commit") ?? "unknown", cancel.Token);
    results.Variant = options.Describe();
}
finally
{
    Directory.Delete(workDir, recursive: true);
}

var micro = MicroResult.Read(Option("--micro"));
results.MicroBenchmarks = string.Join("; ", micro.Select(m => $"{m.Name} {m.MeanNs:F1} ns {m.AllocatedBytes} B"));
if (Option("--micro") is { } microPath)
{
    results.Checks.Add(new Check("micro-benchmarks", micro.Count > 0 && micro.All(m => !double.IsNaN(m.MeanNs)), $"{micro.Count} results in {microPath}"));
}

var resultsPath = Path.Combine(outDir, "results.json");
Directory.CreateDirectory(outDir);
var json = new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
BenchResults? previous = null;
if (File.Exists(resultsPath))
{
    try
    {
        previous = JsonSerializer.Deserialize<BenchResults>(File.ReadAllText(resultsPath), json);
    }
    catch (JsonException)
    {
        // An older format: no comparison this time.
    }
}

List<string> plots;
try
{
    plots = Plots.Write(outDir, results, run);
    var expected = new[] { (Plots.UnaryCdf, "unary"), (Plots.TtftCdf, "stream"), (Plots.ChurnRss, "churn") }
        .Where(e => options.AnyOf(e.Item2)).Select(e => e.Item1).ToList();
    var ok = expected.All(p => plots.Contains(p) && new FileInfo(Path.Combine(outDir, p)).Length > 10_000);
    results.Checks.Add(new Check("plots", ok, string.Join(", ", plots)));
}
catch (Exception ex)
{
    plots = [];
    results.Checks.Add(new Check("plots", false, $"{ex.GetType().Name}: {ex.Message}"));
}

var findingsPath = Option("--findings") ?? Path.Combine(repo, "bench", "findings.md");
var findings = File.Exists(findingsPath) ? File.ReadAllText(findingsPath) : string.Empty;
var plotPrefix = Path.GetRelativePath(Path.GetDirectoryName(docPath)!, outDir).Replace('\\', '/') + "/";
var markdown = MarkdownReport.Render(results, previous, plots, plotPrefix, micro, findings);
Directory.CreateDirectory(Path.GetDirectoryName(docPath)!);
File.WriteAllText(docPath, markdown);
results.Checks.Add(new Check("report", markdown.Contains("## Unary latency", StringComparison.Ordinal), docPath));
if (previous is not null)
{
    previous.PreviousRun = null;
    results.PreviousRun = previous;
}

File.WriteAllText(resultsPath, JsonSerializer.Serialize(results, json));

var passed = results.Checks.Count(c => c.Passed);
var failed = results.Checks.Count - passed;
foreach (var check in results.Checks)
{
    Console.WriteLine($"bench: check {(check.Passed ? "ok  " : "FAIL")} {check.Name}: {check.Detail}");
}

Console.WriteLine($"bench: report {docPath}, figures and results.json in {outDir}; {results.DurationSeconds:F0} s of load");
if (smoke)
{
    Console.WriteLine($"bench-smoke-checks: passed={passed} failed={failed}");
}

return failed == 0 ? 0 : 1;

static int Render(string[] args)
{
    string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    var repo = Path.GetFullPath(Option("--repo") ?? ".");
    var outDir = Path.GetFullPath(Option("--out") ?? Path.Combine(repo, "docs", "bench"));
    var docPath = Path.GetFullPath(Option("--doc") ?? Path.Combine(repo, "docs", "benchmarks.md"));
    var json = new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
    var results = JsonSerializer.Deserialize<BenchResults>(File.ReadAllText(Path.Combine(outDir, "results.json")), json)!;
    var micro = MicroResult.Read(Option("--micro") ?? Path.Combine(outDir, "micro.tsv"));
    var plots = new[] { Plots.UnaryCdf, Plots.TtftCdf, Plots.ChurnRss }.Where(p => File.Exists(Path.Combine(outDir, p))).ToList();
    var findingsPath = Option("--findings") ?? Path.Combine(repo, "bench", "findings.md");
    var findings = File.Exists(findingsPath) ? File.ReadAllText(findingsPath) : string.Empty;
    var plotPrefix = Path.GetRelativePath(Path.GetDirectoryName(docPath)!, outDir).Replace('\\', '/') + "/";
    File.WriteAllText(docPath, MarkdownReport.Render(results, results.PreviousRun, plots, plotPrefix, micro, findings));
    Console.WriteLine($"bench: {docPath} written again from {outDir}/results.json");
    return 0;
}
