namespace Sidecar.Bench.Driver;

/// <summary>Percentiles of a set of samples, in microseconds (or any unit the caller uses).</summary>
internal sealed record Distribution(int Count, double P50, double P90, double P99, double Max, double Mean)
{
    public static readonly Distribution Empty = new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    public static Distribution Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0)
        {
            return Empty;
        }

        var sorted = samples.ToArray();
        Array.Sort(sorted);
        return new Distribution(sorted.Length, At(sorted, 0.50), At(sorted, 0.90), At(sorted, 0.99), sorted[^1], sorted.Average());
    }

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    public static double At(double[] sorted, double q)
    {
        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>Percentile by percentile difference (this − baseline): what the sidecar adds at each rank.</summary>
    public Distribution Minus(Distribution baseline) =>
        new(Count, P50 - baseline.P50, P90 - baseline.P90, P99 - baseline.P99, Max - baseline.Max, Mean - baseline.Mean);
}
