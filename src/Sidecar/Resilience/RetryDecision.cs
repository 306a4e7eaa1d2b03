using Sidecar.Configuration;

namespace Sidecar.Resilience;

/// <summary>Whether to retry a failed attempt, and after how long.</summary>
internal readonly record struct RetryDecision(bool Retry, TimeSpan Delay)
{
    public static readonly RetryDecision No = new(false, TimeSpan.Zero);
}
