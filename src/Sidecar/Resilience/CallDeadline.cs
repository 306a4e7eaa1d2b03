using Sidecar.Configuration;

namespace Sidecar.Resilience;

/// <summary>One call's deadline and the token that fires at it (or when the call is cancelled).</summary>
internal sealed class CallDeadline(DateTime deadline, CancellationToken token, CallDeadlines.Sources? sources, TimeProvider time) : IDisposable
{
    /// <summary>When the call must be over (UTC).</summary>
    public DateTime Deadline { get; } = deadline;

    public CancellationToken Token { get; } = token;

    /// <summary>True once the deadline has passed (the caller's or the default one).</summary>
    public bool HasPassed => sources?.Timer.IsCancellationRequested == true || Deadline <= time.GetUtcNow().UtcDateTime;

    public void Dispose()
    {
        sources?.Linked.Dispose();
        sources?.Timer.Dispose();
    }
}
