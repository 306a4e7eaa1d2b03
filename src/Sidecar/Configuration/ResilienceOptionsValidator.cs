namespace Sidecar.Configuration;

/// <summary>Deadlines, retries, circuit breakers and local limits: <see cref="ResilienceOptions"/>, and each key ref's own <see cref="KeyLimitsOptions"/>.</summary>
internal sealed class ResilienceOptionsValidator : IOptionsValidator
{
    // Polly refuses shorter windows and breaks, and fewer than two attempts of throughput.
    private static readonly TimeSpan MinBreakerTime = TimeSpan.FromMilliseconds(500);

    public void Validate(SidecarOptions options, string p, OptionsProblems problems)
    {
        var path = $"{p}:Resilience";
        var resilience = options.Resilience;
        problems.Positive(path, ("DefaultDeadline", resilience.DefaultDeadline), ("FirstTokenTimeout", resilience.FirstTokenTimeout), ("StreamIdleTimeout", resilience.StreamIdleTimeout));
        if (resilience.MaxConcurrentStreams < 0)
        {
            problems.Add($"{path}:MaxConcurrentStreams must be 0 (no cap) or more (got {resilience.MaxConcurrentStreams}).");
        }

        ValidateRetry(problems, $"{path}:Retry", resilience.Retry);
        ValidateBreaker(problems, $"{path}:CircuitBreaker", resilience.CircuitBreaker);
        ValidateLimits(problems, $"{path}:Limits", resilience.Limits);
        foreach (var (keyRef, key) in options.Keys)
        {
            ValidateLimits(problems, $"{p}:Keys:{keyRef}:Limits", key.Limits);
        }
    }

    private static void ValidateRetry(OptionsProblems problems, string r, RetryOptions retry)
    {
        if (retry.MaxRetries is < 0 or > 10)
        {
            problems.Add($"{r}:MaxRetries must be between 0 (off) and 10 (got {retry.MaxRetries}).");
        }

        problems.NotNegative($"{r}:BaseDelay", retry.BaseDelay);
        problems.NotNegative($"{r}:MaxDelay", retry.MaxDelay);
        problems.NotNegative($"{r}:MaxRetryAfter", retry.MaxRetryAfter);
        problems.NotNegative($"{r}:MinAttemptTime", retry.MinAttemptTime);
        if (retry.MaxDelay < retry.BaseDelay)
        {
            problems.Add($"{r}:MaxDelay must not be shorter than {r}:BaseDelay (got {retry.MaxDelay} < {retry.BaseDelay}).");
        }
    }

    private static void ValidateBreaker(OptionsProblems problems, string b, CircuitBreakerOptions breaker)
    {
        if (!(breaker.FailureRatio > 0 && breaker.FailureRatio <= 1))
        {
            problems.Add($"{b}:FailureRatio must be above 0 and at most 1 (got {breaker.FailureRatio}).");
        }

        if (breaker.MinimumThroughput < 2)
        {
            problems.Add($"{b}:MinimumThroughput must be at least 2 (got {breaker.MinimumThroughput}).");
        }

        problems.AtLeast($"{b}:SamplingDuration", breaker.SamplingDuration, MinBreakerTime);
        problems.AtLeast($"{b}:BreakDuration", breaker.BreakDuration, MinBreakerTime);
    }

    private static void ValidateLimits(OptionsProblems problems, string path, KeyLimitsOptions? limits)
    {
        if (limits is null)
        {
            return;
        }

        problems.LimitOrZero($"{path}:MaxConcurrentRequests", limits.MaxConcurrentRequests);
        problems.LimitOrZero($"{path}:QueueLimit", limits.QueueLimit);
        problems.LimitOrZero($"{path}:RequestsPerMinute", limits.RequestsPerMinute);
    }
}
