namespace Sidecar.Bench.Report;

/// <summary>Everything one bench run measured; written as JSON beside the report and read back as "the previous run".</summary>
internal sealed class BenchResults
{
    public string StartedUtc { get; set; } = string.Empty;
    public bool Smoke { get; set; }
    public double DurationSeconds { get; set; }
    public MachineInfo Machine { get; set; } = new();

    /// <summary>Per server measured (AOT, JIT, floor), in that order: memory, start-up, image size.</summary>
    public List<DaemonFigures> Daemons { get; set; } = [];

    /// <summary>The one caller at 1 000 req/s, every path in the same alternating blocks.</summary>
    public List<PathLatency> SideBySide { get; set; } = [];

    /// <summary>A one-byte round trip between two processes over a socketpair: the absolute floor.</summary>
    public Distribution SocketRoundTripUs { get; set; } = Distribution.Empty;

    /// <summary>Which daemon the detailed latency phases (ramp, streaming, throughput, cancel) ran against.</summary>
    public string MainDaemon { get; set; } = string.Empty;
    public List<LatencyFigure> Unary { get; set; } = [];
    public List<RampStep> Ramp { get; set; } = [];
    public double MaxSustainedRate { get; set; }
    public StreamFigure? Stream { get; set; }
    public List<ThroughputFigure> Throughput { get; set; } = [];
    public List<CpuFigure> Cpu { get; set; } = [];
    public string Variant { get; set; } = string.Empty;
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

/// <param name="CpuMs">CPU the process had used when it answered SERVING: what start-up costs a quiet machine.</param>
internal sealed record StartupRun(double ReadyMs, double RssMiB, double CpuMs = double.NaN);

/// <summary>What one server (AOT, JIT or the floor) measured outside the per-call tables.</summary>
internal sealed class DaemonFigures
{
    public string Name { get; set; } = string.Empty;
    public string Description { get; set; } = string.Empty;
    public bool IsSidecar { get; set; }
    public List<StartupRun> Startup { get; set; } = [];
    public Distribution StartupMs { get; set; } = Distribution.Empty;
    public double IdleCpuMsPerSecond { get; set; } = double.NaN;
    public double IdleAfterLoadCpuMsPerSecond { get; set; } = double.NaN;
    public MemoryFigures Memory { get; set; } = new();

    /// <summary>Bytes of the published folder (debug symbols excluded), when the build has one.</summary>
    public long PublishBytes { get; set; }
}

/// <summary>One path's latency in the side-by-side 1 000 req/s blocks, with its server's CPU.</summary>
/// <param name="Daemon">AOT, JIT, floor, or empty for the direct call.</param>
/// <param name="Path">openai, echo, floor, direct.</param>
internal sealed record PathLatency(string Daemon, string Path, PathStats Stats, CpuUse Cpu);

/// <summary>One path's view of a phase: its distribution and what it achieved.</summary>
internal sealed record PathStats(Distribution Latency, int Sent, int Errors, double Throughput, double DispatchLagP99Us, List<string> ErrorExamples);

internal sealed record LatencyFigure(string Name, double Rate, PathStats Sidecar, PathStats Direct, Distribution Added, CpuUse SidecarCpu, CpuUse DirectCpu, string Daemon = "")
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

/// <summary>
/// CPU per call of one path at one concurrency, in ms: the median of its rounds (each field its own
/// median); <see cref="DaemonRounds"/> has the daemon's figure of every round.
/// </summary>
/// <param name="Daemon">AOT, JIT, floor, or empty for the direct call.</param>
/// <param name="Path">openai (→ the bench upstream), echo (answered in the daemon), floor, direct.</param>
/// <param name="Kind">unary, or stream (20 chunks).</param>
internal sealed record CpuFigure(string Daemon, string Path, string Kind, int Callers, int Calls, int Errors, double DaemonMs, double UpstreamMs, double DriverMs, double OthersMs, double WallSeconds, double[] DaemonRounds);

internal sealed class MemoryFigures
{
    public double IdleFreshMiB { get; set; } = double.NaN;

    /// <summary>Highest RSS sampled (every 50 ms) while 16 callers loaded it in the CPU phase.</summary>
    public double PeakLoadMiB { get; set; } = double.NaN;
    public double IdleAfterLoadMiB { get; set; } = double.NaN;
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
    public double ChurnSlopeMiBPer10k { get; set; } = double.NaN;
    public double ChurnPeakMiB { get; set; }
}

internal sealed record RssPoint(double Seconds, int Calls, double RssMiB);

internal sealed record CancelFigure(string Kind, Distribution SidecarMs, Distribution DirectMs, int Errors);

/// <summary>How busy the machine was with work other than ours during a phase (the machine is shared).</summary>
internal sealed record PhaseNoise(string Phase, double WallSeconds, double OthersCores, double MachineBusyFraction);

/// <summary>A wait for the daemon to go quiet after a warm-up: how long, and the CPU it used meanwhile (background JIT).</summary>
internal sealed record Settle(double Seconds, double DaemonCpuSeconds, bool Quiet, string Daemon = "");

internal sealed record Check(string Name, bool Passed, string Detail);
