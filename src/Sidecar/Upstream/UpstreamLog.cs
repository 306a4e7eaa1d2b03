namespace Sidecar.Upstream;

/// <summary>The upstream providers' log lines (event ids 140–149). Names and the fault's own words, never a body or a secret.</summary>
internal static partial class UpstreamLog
{
    [LoggerMessage(140, LogLevel.Warning, "Upstream {Endpoint} sent an unusable answer for key_ref {KeyRef}: {Fault}")]
    public static partial void UnusableAnswer(ILogger logger, string endpoint, string keyRef, string fault);
}
