using System.Diagnostics;

namespace Sidecar.Bench.Driver;

/// <summary>Monotonic time shared by every process on the machine (CLOCK_MONOTONIC on Linux).</summary>
internal static class Ticks
{
    private static readonly double MicrosPerTick = 1_000_000.0 / Stopwatch.Frequency;

    public static long Now => Stopwatch.GetTimestamp();

    public static double ToMicros(long ticks) => ticks * MicrosPerTick;

    public static double MicrosSince(long start) => (Stopwatch.GetTimestamp() - start) * MicrosPerTick;

    public static long FromMillis(double ms) => (long)(ms * Stopwatch.Frequency / 1000.0);
}
