namespace Sidecar.Configuration;

/// <summary>
/// Circuit breakers, <c>Sidecar:Resilience:CircuitBreaker</c>: one per upstream endpoint (connection
/// failures), one per endpoint and model (5xx, 408, first-token and request timeouts) and one per key
/// reference (401, 403, 429). While a breaker
/// is open, calls through it are refused at once with UNAVAILABLE, reason <c>CIRCUIT_OPEN</c>, and a
/// <c>RetryInfo</c> of the time left; after <see cref="BreakDuration"/> one call probes the upstream
/// (half-open) and closes the breaker when it succeeds. Other 4xx answers never count as failures.
/// A record, so that a reload compares every setting by value, one added later included: a change of any
/// rebuilds the breakers (<c>Resilience/CircuitBreakers</c>).
/// </summary>
public sealed record CircuitBreakerOptions
{
    /// <summary>Whether breakers are used at all. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The share of failed attempts within <see cref="SamplingDuration"/> that opens the breaker,
    /// above 0 and at most 1. Default 0.5.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Fewest attempts within <see cref="SamplingDuration"/> before the ratio counts, at least 2.
    /// Default 10.</summary>
    public int MinimumThroughput { get; set; } = 10;

    /// <summary>The window over which failures are counted, at least 0.5 s. Default 30 s.</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open breaker refuses calls before it lets a probe through, at least 0.5 s.
    /// Default 15 s.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}
