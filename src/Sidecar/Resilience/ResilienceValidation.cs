using Sidecar.Configuration;

namespace Sidecar.Resilience;

/// <summary>The checks of <see cref="ResilienceOptions"/> and <see cref="KeyLimitsOptions"/>, called by
/// <see cref="SidecarOptionsValidator"/> so every problem is reported with the others, at once.</summary>
internal static class ResilienceValidation
{
    // Polly refuses shorter windows and breaks, and fewer than two attempts of throughput.
    internal static readonly TimeSpan MinBreakerTime = TimeSpan.FromMilliseconds(500);

    public static void Validate(List<string> errors, string path, ResilienceOptions options)
    {
        Positive(errors, $"{path}:DefaultDeadline", options.DefaultDeadline);
        Positive(errors, $"{path}:FirstTokenTimeout", options.FirstTokenTimeout);
        Positive(errors, $"{path}:StreamIdleTimeout", options.StreamIdleTimeout);
        if (options.MaxConcurrentStreams < 0)
        {
            errors.Add($"{path}:MaxConcurrentStreams must be 0 (no cap) or more (got {options.MaxConcurrentStreams}).");
        }

        var retry = options.Retry;
        var r = $"{path}:Retry";
        if (retry.MaxRetries is < 0 or > 10)
        {
            errors.Add($"{r}:MaxRetries must be between 0 (off) and 10 (got {retry.MaxRetries}).");
        }

        NotNegative(errors, $"{r}:BaseDelay", retry.BaseDelay);
        NotNegative(errors, $"{r}:MaxDelay", retry.MaxDelay);
        NotNegative(errors, $"{r}:MaxRetryAfter", retry.MaxRetryAfter);
        NotNegative(errors, $"{r}:MinAttemptTime", retry.MinAttemptTime);
        if (retry.MaxDelay < retry.BaseDelay)
        {
            errors.Add($"{r}:MaxDelay must not be shorter than {r}:BaseDelay (got {retry.MaxDelay} < {retry.BaseDelay}).");
        }

        var breaker = options.CircuitBreaker;
        var b = $"{path}:CircuitBreaker";
        if (!(breaker.FailureRatio > 0 && breaker.FailureRatio <= 1))
        {
            errors.Add($"{b}:FailureRatio must be above 0 and at most 1 (got {breaker.FailureRatio}).");
        }

        if (breaker.MinimumThroughput < 2)
        {
            errors.Add($"{b}:MinimumThroughput must be at least 2 (got {breaker.MinimumThroughput}).");
        }

        AtLeast(errors, $"{b}:SamplingDuration", breaker.SamplingDuration, MinBreakerTime);
        AtLeast(errors, $"{b}:BreakDuration", breaker.BreakDuration, MinBreakerTime);

        ValidateLimits(errors, $"{path}:Limits", options.Limits);
    }

    public static void ValidateLimits(List<string> errors, string path, KeyLimitsOptions? limits)
    {
        if (limits is null)
        {
            return;
        }

        NotNegative(errors, $"{path}:MaxConcurrentRequests", limits.MaxConcurrentRequests);
        NotNegative(errors, $"{path}:QueueLimit", limits.QueueLimit);
        NotNegative(errors, $"{path}:RequestsPerMinute", limits.RequestsPerMinute);
    }

    private static void NotNegative(List<string> errors, string path, int? value)
    {
        if (value < 0)
        {
            errors.Add($"{path} must be 0 (no limit) or more (got {value}).");
        }
    }

    private static void Positive(List<string> errors, string path, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{path} must be a positive duration such as 00:00:10 (got {value}).");
        }
    }

    private static void NotNegative(List<string> errors, string path, TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            errors.Add($"{path} must not be negative (got {value}).");
        }
    }

    private static void AtLeast(List<string> errors, string path, TimeSpan value, TimeSpan least)
    {
        if (value < least)
        {
            errors.Add($"{path} must be at least {least.TotalSeconds:0.0} s (got {value}).");
        }
    }
}
