namespace Sidecar.Resilience;

/// <summary>The resilience layer's log lines (event ids 100–119). Names and codes only, never a secret.</summary>
internal static partial class ResilienceLog
{
    [LoggerMessage(100, LogLevel.Information, "Retrying upstream {Endpoint} for key_ref {KeyRef} in {DelayMs:F0} ms (retry {Retry}) after: {Failure}")]
    public static partial void Retrying(ILogger logger, string endpoint, string keyRef, double delayMs, int retry, string failure);

    [LoggerMessage(101, LogLevel.Warning, "Circuit breaker {Scope} {Name} opened for {BreakSeconds:F1} s after: {Failure}")]
    public static partial void BreakerOpened(ILogger logger, string scope, string name, double breakSeconds, string failure);

    [LoggerMessage(102, LogLevel.Information, "Circuit breaker {Scope} {Name} half-open: letting a probe through")]
    public static partial void BreakerHalfOpened(ILogger logger, string scope, string name);

    [LoggerMessage(103, LogLevel.Information, "Circuit breaker {Scope} {Name} closed")]
    public static partial void BreakerClosed(ILogger logger, string scope, string name);

    [LoggerMessage(104, LogLevel.Warning, "A configuration reload dropped {Count} circuit breakers that were not closed ({Why}): {Breakers}")]
    public static partial void BreakersDropped(ILogger logger, int count, string why, string breakers);

}
