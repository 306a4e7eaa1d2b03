namespace Sidecar.Bench.Driver;

/// <summary>How much of everything a run does. <see cref="Full"/> fits about four minutes of load on
/// two cores; <see cref="SmokeRun"/> a few seconds (CI checks that the bench still works, not how fast).</summary>
internal sealed record BenchSettings(
    bool Smoke,
    int WarmupCalls,
    int StartupRuns,
    int SlowRateCalls,
    int FastRateCalls,
    double RampStepSeconds,
    int RampMaxSteps,
    int StreamCalls,
    double ThroughputSeconds,
    double CpuSeconds,
    int CpuRounds,
    int RoundTrips,
    int KeysCount,
    int ChurnKeys,
    int ChurnMaxEntries,
    int CancelCalls)
{
    /// <summary>The open-loop rates, in calls per second: near idle, and the fast one whose latency the docs quote.</summary>
    public const double SlowRate = 100;
    public const double FastRate = 1000;

    /// <summary>A streamed call at its own rate: 20 chunks, 1 ms apart, about what a short answer takes.</summary>
    public const double StreamRate = 100;
    public const int StreamChunks = 20;
    public const int StreamIntervalMs = 1;

    /// <summary>The callers of the closed-loop throughput runs.</summary>
    public const int UnaryConcurrency = 32;
    public const int StreamConcurrency = 16;

    /// <summary>The callers of the CPU phase's loaded runs (its other unary run has one).</summary>
    public const int CpuCallers = 16;
    public const int MaxInFlight = 2000;

    public static readonly BenchSettings Full = new(
        Smoke: false,
        WarmupCalls: 3000,
        StartupRuns: 5,
        SlowRateCalls: 600,
        FastRateCalls: 3000,
        RampStepSeconds: 2,
        RampMaxSteps: 9,
        StreamCalls: 600,
        ThroughputSeconds: 4,
        CpuSeconds: 1.5,
        CpuRounds: 3,
        RoundTrips: 20_000,
        KeysCount: 1000,
        ChurnKeys: 100_000,
        ChurnMaxEntries: 1000,
        CancelCalls: 30);

    public static readonly BenchSettings SmokeRun = new(
        Smoke: true,
        WarmupCalls: 50,
        StartupRuns: 1,
        SlowRateCalls: 20,
        FastRateCalls: 100,
        RampStepSeconds: 0.2,
        RampMaxSteps: 1,
        StreamCalls: 20,
        ThroughputSeconds: 0.3,
        CpuSeconds: 0.15,
        CpuRounds: 1,
        RoundTrips: 2_000,
        KeysCount: 50,
        ChurnKeys: 400,
        ChurnMaxEntries: 100,
        CancelCalls: 2);
}
