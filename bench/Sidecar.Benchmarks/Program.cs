using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Sidecar.Benchmarks;

// Sidecar.Benchmarks [--smoke] [--summary FILE] [BenchmarkDotNet arguments, e.g. --filter '*']
// The benchmarks run in this process (no generated project to build), as a short job; --smoke runs
// each benchmark once (a dry job) to check they all still work. --summary writes one line per
// benchmark (name, mean ns, allocated bytes) for the bench report.
var smoke = args.Contains("--smoke");
var summaryPath = args.SkipWhile(a => a != "--summary").Skip(1).FirstOrDefault();
var rest = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--smoke")
    {
        continue;
    }

    if (args[i] == "--summary")
    {
        i++;
        continue;
    }

    rest.Add(args[i]);
}

if (!rest.Contains("--filter"))
{
    rest.AddRange(["--filter", "*"]);
}

var job = (smoke ? Job.Dry : Job.ShortRun).WithToolchain(InProcessEmitToolchain.Instance);
var config = DefaultConfig.Instance
    .AddJob(job)
    .AddDiagnoser(MemoryDiagnoser.Default)
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(HotPathBenchmarks).Assembly).Run([.. rest], config).ToList();

var lines = new List<string> { "benchmark\tmean_ns\tallocated_bytes\terror_ns" };
var failed = 0;
foreach (var summary in summaries)
{
    foreach (var report in summary.Reports)
    {
        var name = report.BenchmarkCase.Descriptor.WorkloadMethod.Name;
        if (!report.Success || report.ResultStatistics is null)
        {
            failed++;
            lines.Add($"{name}\tNaN\tNaN\tNaN");
            continue;
        }

        var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? -1;
        var error = report.ResultStatistics.N > 1 ? report.ResultStatistics.StandardError : 0;
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"{name}\t{report.ResultStatistics.Mean:F2}\t{allocated}\t{error:F2}"));
    }
}

if (summaryPath is not null)
{
    File.WriteAllLines(summaryPath, lines);
}

Console.WriteLine(string.Join(Environment.NewLine, lines));
var ran = summaries.Sum(s => s.Reports.Length);
Console.WriteLine($"micro-benchmarks: {ran - failed} ran, {failed} failed");
return ran > 0 && failed == 0 ? 0 : 1;
