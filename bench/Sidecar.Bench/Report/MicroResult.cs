namespace Sidecar.Bench.Report;

/// <summary>One BenchmarkDotNet result as Sidecar.Benchmarks summarises it.</summary>
internal sealed record MicroResult(string Name, double MeanNs, long AllocatedBytes, double ErrorNs)
{
    public static List<MicroResult> Read(string? path)
    {
        if (path is null || !File.Exists(path))
        {
            return [];
        }

        return File.ReadLines(path).Skip(1)
            .Select(l => l.Split('\t'))
            .Where(f => f.Length >= 4)
            .Select(f => new MicroResult(
                f[0],
                double.Parse(f[1], CultureInfo.InvariantCulture),
                long.TryParse(f[2], CultureInfo.InvariantCulture, out var a) ? a : -1,
                double.Parse(f[3], CultureInfo.InvariantCulture)))
            .ToList();
    }
}
