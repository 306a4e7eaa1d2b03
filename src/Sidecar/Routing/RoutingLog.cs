namespace Sidecar.Routing;

/// <summary>The router's log lines. Names are configured key refs and reasons contract names: no secret.</summary>
internal static partial class RoutingLog
{
    [LoggerMessage(60, LogLevel.Information, "key_ref {KeyRef}: {From} failed ({Reason}); trying {To}")]
    public static partial void FallingBack(ILogger logger, string keyRef, string from, string reason, string to);
}
