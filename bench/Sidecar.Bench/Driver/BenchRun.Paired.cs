namespace Sidecar.Bench.Driver;

internal sealed partial class BenchRun
{
    private (List<double> Sidecar, List<double> Direct) _ttftSamples = ([], []);

    /// <summary>Raw samples kept for the plots (not written to the results file).</summary>
    public Dictionary<string, (List<double> Sidecar, List<double> Direct)> PlotSamples { get; } = new(StringComparer.Ordinal);

    public (List<double> Sidecar, List<double> Direct) TtftSamples => _ttftSamples;

    /// <summary>
    /// Runs the same load through the sidecar and directly, in two halves each, in the order
    /// sidecar, direct, direct, sidecar: a slow drift of the shared machine's load falls on both paths alike.
    /// </summary>
    private async Task<Paired<T>> PairedAsync<T>(Func<ITarget, Task<LoadResult<T>>> run)
        where T : ISample<T>
    {
        ITarget[] order = [_sidecar, _direct, _direct, _sidecar];
        var sidecar = new List<LoadResult<T>>();
        var direct = new List<LoadResult<T>>();
        var sidecarCpu = new List<CpuUse>();
        var directCpu = new List<CpuUse>();
        foreach (var target in order)
        {
            var window = new CpuWindow(_main.Pid, _upstream.Pid);
            var result = await run(target);
            var cpu = window.Stop();
            (target == (ITarget)_sidecar ? sidecar : direct).Add(result);
            (target == (ITarget)_sidecar ? sidecarCpu : directCpu).Add(cpu);
        }

        return new Paired<T>(Merge(sidecar), Merge(direct), Sum(sidecarCpu), Sum(directCpu));
    }

    private static LoadResult<T> Merge<T>(List<LoadResult<T>> parts) => new(
        parts.SelectMany(p => p.Samples).ToList(),
        parts.Sum(p => p.Sent),
        parts.Sum(p => p.Errors),
        parts.Sum(p => p.NotStarted),
        parts.Sum(p => p.Seconds),
        parts.Max(p => p.DispatchLagP99Us),
        parts.SelectMany(p => p.ErrorExamples).Distinct().Take(5).ToList());

    private static CpuUse Sum(List<CpuUse> parts) => new(
        parts.Sum(p => p.WallSeconds),
        parts.Sum(p => p.Daemon),
        parts.Sum(p => p.Upstream),
        parts.Sum(p => p.Driver),
        parts.Sum(p => p.Others),
        parts.Average(p => p.MachineBusyFraction));

    private sealed record Paired<T>(LoadResult<T> Sidecar, LoadResult<T> Direct, CpuUse SidecarCpu, CpuUse DirectCpu);
}
