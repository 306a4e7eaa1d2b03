using Sidecar.Bench.Driver;

namespace Sidecar.Bench.Report;

/// <summary>Everything one bench run measured; written as JSON beside the report and read back as "the previous run".</summary>
internal sealed class BenchResults
{
    public string StartedUtc { get; set; } = string.Empty;
    public bool Smoke { get; set; }
    public double DurationSeconds { get; set; }
    public MachineInfo Machine { get; set; } = new();
    public List<StartupRun> Startup { get; set; } = [];
    public Distribution StartupMs { get; set; } = Distribution.Empty;
    public List<LatencyFigure> Unary { get; set; } = [];
    public List<RampStep> Ramp { get; set; } = [];
    public double MaxSustainedRate { get; set; }
    public StreamFigure? Stream { get; set; }
    public List<ThroughputFigure> Throughput { get; set; } = [];
    public List<CpuFigure> Cpu { get; set; } = [];
    public double DaemonIdleCpuMsPerSecond { get; set; }
    public double DaemonIdleAfterLoadCpuMsPerSecond { get; set; }
    public string Variant { get; set; } = string.Empty;
    public MemoryFigures Memory { get; set; } = new();
    public List<CancelFigure> Cancel { get; set; } = [];
    public List<PhaseNoise> Noise { get; set; } = [];
    public List<Settle> Settles { get; set; } = [];
    public List<Check> Checks { get; set; } = [];
    public string MicroBenchmarks { get; set; } = string.Empty;

    /// <summary>The run before this one, for the run-to-run table (its own previous run is dropped).</summary>
    public BenchResults? PreviousRun { get; set; }
}

internal sealed class MachineInfo
{
    public string Cpu { get; set; } = string.Empty;
    public int Cores { get; set; }
    public double MemoryGiB { get; set; }
    public string Kernel { get; set; } = string.Empty;
    public string Os { get; set; } = string.Empty;
    public string Runtime { get; set; } = string.Empty;
    public string Commit { get; set; } = string.Empty;
    public string LoadAverageBefore { get; set; } = string.Empty;
    public string LoadAverageAfter { get; set; } = string.Empty;
}

internal sealed record StartupRun(double ReadyMs, double RssMiB);

/// <summary>One path's view of a phase: its distribution and what it achieved.</summary>
internal sealed record PathStats(Distribution Latency, int Sent, int Errors, double Throughput, double DispatchLagP99Us, List<string> ErrorExamples);

internal sealed record LatencyFigure(string Name, double Rate, PathStats Sidecar, PathStats Direct, Distribution Added, CpuUse SidecarCpu, CpuUse DirectCpu)
{
    public double DaemonCpuMsPerCall => Sidecar.Sent > 0 ? SidecarCpu.Daemon * 1000 / Sidecar.Sent : double.NaN;
}

internal sealed record RampStep(double Rate, double Throughput, double P50Us, double P99Us, int Errors, double DispatchLagP99Us, bool Sustained, string Why);

internal sealed record StreamFigure(
    double Rate, int Chunks, int IntervalMs,
    PathStats SidecarTtft, PathStats DirectTtft, Distribution AddedTtft,
    Distribution SidecarRelay, Distribution DirectRelay, Distribution AddedRelay,
    Distribution SidecarTtlt, Distribution DirectTtlt, Distribution AddedTtlt,
    CpuUse SidecarCpu, CpuUse DirectCpu);

internal sealed record ThroughputFigure(string Kind, int Concurrency, PathStats Sidecar, PathStats Direct, CpuUse SidecarCpu, CpuUse DirectCpu);

/// <summary>CPU per call of one variant: whose CPU it is is in the names.</summary>
internal sealed record CpuFigure(string Variant, string Kind, int Calls, int Errors, double DaemonMs, double UpstreamMs, double DriverMs, double OthersMs, double WallSeconds, int Rounds = 1);

internal sealed class MemoryFigures
{
    public double IdleFreshMiB { get; set; }
    public double IdleAfterLoadMiB { get; set; }
    public double KeysFreshMiB { get; set; }
    public double KeysWarmOneKeyMiB { get; set; }
    public double Keys1000MiB { get; set; }
    public int KeysCount { get; set; }
    public int KeysErrors { get; set; }
    public int ChurnKeys { get; set; }
    public int ChurnMaxEntries { get; set; }
    public int ChurnErrors { get; set; }
    public double ChurnSeconds { get; set; }
    public List<RssPoint> Churn { get; set; } = [];
    public double ChurnSlopeMiBPer10k { get; set; }
    public double ChurnPeakMiB { get; set; }
}

internal sealed record RssPoint(double Seconds, int Calls, double RssMiB);

internal sealed record CancelFigure(string Kind, Distribution SidecarMs, Distribution DirectMs, int Errors);

/// <summary>How busy the machine was with work other than ours during a phase (the machine is shared).</summary>
internal sealed record PhaseNoise(string Phase, double WallSeconds, double OthersCores, double MachineBusyFraction);

/// <summary>A wait for the daemon to go quiet after a warm-up: how long, and the CPU it used meanwhile (background JIT).</summary>
internal sealed record Settle(double Seconds, double DaemonCpuSeconds, bool Quiet);

internal sealed record Check(string Name, bool Passed, string Detail);
