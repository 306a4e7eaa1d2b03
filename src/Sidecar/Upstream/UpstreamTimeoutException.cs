namespace Sidecar.Upstream;

/// <summary>
/// An upstream attempt ran out of one of our own timers (first token, idle stream, the HTTP client's
/// network timeout) while the caller was still waiting: a failure of the endpoint, not a cancellation.
/// </summary>
internal sealed class UpstreamTimeoutException(string message, Exception? inner = null) : TimeoutException(message, inner);
