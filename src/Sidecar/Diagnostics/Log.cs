namespace Sidecar.Diagnostics;

/// <summary>Every log line the daemon writes, with stable event ids. None takes a secret.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "call {Rpc} key_ref={KeyRef} model={Model} status={Status} reason={Reason} ms={ElapsedMs:F1} prompt_tokens={PromptTokens} completion_tokens={CompletionTokens} trace_id={TraceId}")]
    public static partial void CallFinished(ILogger logger, string rpc, string keyRef, string model, string status, string reason, double elapsedMs, int promptTokens, int completionTokens, string traceId);

    [LoggerMessage(2, LogLevel.Warning, "key_ref {KeyRef}: secret unavailable: {Why}")]
    public static partial void SecretUnavailable(ILogger logger, string keyRef, string why);

    [LoggerMessage(3, LogLevel.Warning, "key_ref {KeyRef} has a literal ApiKey in configuration: use env:NAME or file:/path outside development")]
    public static partial void LiteralKey(ILogger logger, string keyRef);

    [LoggerMessage(4, LogLevel.Information, "Sidecar listening on unix:{Socket} (mode {Mode}); health h2c port {HealthPort}; http port {HttpPort}; {KeyRefCount} configured key refs; keys directory {KeysDirectory}")]
    public static partial void Listening(ILogger logger, string socket, string mode, int healthPort, int httpPort, int keyRefCount, string keysDirectory);

    [LoggerMessage(5, LogLevel.Warning, "Removed stale socket file {Socket}: nothing answered on it")]
    public static partial void StaleSocketRemoved(ILogger logger, string socket);

    [LoggerMessage(6, LogLevel.Information, "Shutdown: not serving; waiting up to {GraceSeconds:F0} s for {InFlight} in-flight calls")]
    public static partial void ShutdownStarted(ILogger logger, double graceSeconds, int inFlight);

    [LoggerMessage(7, LogLevel.Warning, "Shutdown grace elapsed: cancelling {InFlight} in-flight calls")]
    public static partial void ShutdownCancelling(ILogger logger, int inFlight);

    [LoggerMessage(8, LogLevel.Information, "Shutdown: all calls finished")]
    public static partial void ShutdownDrained(ILogger logger);

    [LoggerMessage(9, LogLevel.Error, "Unexpected failure in {Rpc} for key_ref {KeyRef}")]
    public static partial void UnexpectedFailure(ILogger logger, Exception exception, string rpc, string keyRef);


    [LoggerMessage(11, LogLevel.Error, "Configuration change refused, the previous configuration stays in force: {Problems}")]
    public static partial void ConfigurationRefused(ILogger logger, string problems);

    [LoggerMessage(13, LogLevel.Warning, "Keys directory entry {KeyRef} is a link to a file outside the directory; it is not a key ref")]
    public static partial void KeysDirectoryEntryOutside(ILogger logger, string keyRef);

    [LoggerMessage(12, LogLevel.Information, "Configuration reloaded: {KeyRefCount} configured key refs")]
    public static partial void ConfigurationReloaded(ILogger logger, int keyRefCount);
}
