namespace Sidecar.Bench.Report;

/// <summary>Everything one rendering of the report reads, with look-ups the sections share.</summary>
internal sealed record ReportInput(BenchResults Results, BenchResults? Previous, IReadOnlyList<string> Plots, string PlotPrefix, IReadOnlyList<MicroResult> Micro, string Findings)
{
    /// <summary>The servers measured, in the run's order (AOT, JIT, floor).</summary>
    public IReadOnlyList<DaemonFigures> Daemons => Results.Daemons;

    /// <summary>The daemon the targets are judged on: the shipped one (AOT) when it ran.</summary>
    public string Judged => Results.MainDaemon;

    public DaemonFigures? Daemon(string name) => Results.Daemons.FirstOrDefault(d => d.Name == name);

    public CpuFigure? Cpu(string daemon, string path, string kind, int callers) =>
        Results.Cpu.FirstOrDefault(c => c.Daemon == daemon && c.Path == path && c.Kind == kind && c.Callers == callers);

    /// <summary>The floor's figure for the same kind of call, when the floor ran.</summary>
    public CpuFigure? FloorCpu(string kind, int callers) => Cpu(DaemonBuild.Floor, "floor", kind, callers);

    public PathLatency? Latency(string daemon, string path) => Results.SideBySide.FirstOrDefault(p => p.Daemon == daemon && p.Path == path);

    public PathLatency? Direct => Results.SideBySide.FirstOrDefault(p => p.Path == "direct");
}
