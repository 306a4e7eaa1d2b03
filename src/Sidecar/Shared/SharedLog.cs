namespace Sidecar.Shared;

/// <summary>The shared-state layer's log lines (event ids 400–419). Endpoints and key refs, never a password.</summary>
internal static partial class SharedLog
{
    [LoggerMessage(400, LogLevel.Warning, "Redis {Endpoints} cannot be reached ({Failure}); fail mode '{FailMode}' applies until it is back")]
    public static partial void RedisDown(ILogger logger, string endpoints, string failure, string failMode);

    [LoggerMessage(401, LogLevel.Information, "Redis {Endpoints} reached; shared limits, budgets and the shared cache are enforced again")]
    public static partial void RedisUp(ILogger logger, string endpoints);

    [LoggerMessage(402, LogLevel.Information, "Connecting to Redis {Endpoints} (fail mode '{FailMode}', {TimeoutMs:F0} ms per operation)")]
    public static partial void Connecting(ILogger logger, string endpoints, string failMode, double timeoutMs);
}
