namespace Sidecar.Bench.Report;

/// <summary>How the report writes numbers: invariant culture, a space between thousands, the unit after.</summary>
internal static class Units
{
    public const double MiBToMB = 1.048576;

    public static string Count(double n) => n.ToString("N0", CultureInfo.InvariantCulture).Replace(',', ' ');

    public static string Us(double us) => double.IsNaN(us) ? "—" : string.Create(CultureInfo.InvariantCulture, $"{us:F0} µs");

    public static string Ms(double ms) => double.IsNaN(ms) ? "—" : string.Create(CultureInfo.InvariantCulture, $"{ms:F1} ms");

    /// <summary>CPU per call, in ms with three decimals.</summary>
    public static string CpuMs(double ms) => double.IsNaN(ms) ? "—" : string.Create(CultureInfo.InvariantCulture, $"{ms:F3} ms");

    public static string Mb(double mib) => double.IsNaN(mib) ? "—" : string.Create(CultureInfo.InvariantCulture, $"{mib * MiBToMB:F1} MB");

    public static string Bytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:F1} MB");

    public static string Ratio(double ratio) => double.IsNaN(ratio) || double.IsInfinity(ratio) ? "—" : string.Create(CultureInfo.InvariantCulture, $"{ratio:F2}×");

    public static string Short(string commit) => commit.Length > 12 ? commit[..12] : commit;
}
