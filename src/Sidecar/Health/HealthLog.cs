namespace Sidecar.Health;

/// <summary>The health checks' log lines (event ids 130–139).</summary>
internal static partial class HealthLog
{
    [LoggerMessage(130, LogLevel.Error, "Readiness check {Part} failed; readiness is answered without it")]
    public static partial void CheckFailed(ILogger logger, Exception exception, string part);
}
