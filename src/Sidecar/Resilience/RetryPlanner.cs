using Sidecar.Configuration;

namespace Sidecar.Resilience;

/// <summary>
/// The retry rules in one pure function, so they can be read and tested on a fake clock: retry only what
/// the <see cref="IUpstreamFailureClassifier"/> calls retryable, at most <see cref="RetryOptions.MaxRetries"/> times, after
/// the upstream's <c>Retry-After</c> when it gave one (never longer than <see cref="RetryOptions.MaxRetryAfter"/>:
/// past that the caller decides) or else an exponential backoff with jitter, and only when the attempt after
/// the wait can still finish before the call's deadline.
/// </summary>
internal static class RetryPlanner
{
    /// <param name="exception">What the failed attempt threw.</param>
    /// <param name="failures">What the failure means: retryable or not, and any wait the upstream asked for.</param>
    /// <param name="attempt">0 for the first attempt, 1 for the first retry, …</param>
    /// <param name="now">The current time.</param>
    /// <param name="deadline">The call's deadline (UTC); <see cref="DateTime.MaxValue"/> for none.</param>
    /// <param name="options">The retry settings in force.</param>
    /// <param name="random">A number in [0, 1) for the jitter.</param>
    public static RetryDecision Decide(Exception exception, IUpstreamFailureClassifier failures, int attempt, DateTimeOffset now, DateTime deadline, RetryOptions options, double random)
    {
        if (attempt >= options.MaxRetries || !failures.Classify(exception).Retryable)
        {
            return RetryDecision.No;
        }

        TimeSpan delay;
        if (failures.RetryAfter(exception) is { } retryAfter)
        {
            if (retryAfter > options.MaxRetryAfter)
            {
                return RetryDecision.No;
            }

            delay = retryAfter;
        }
        else
        {
            delay = Backoff(attempt, options, random);
        }

        var left = deadline - now.UtcDateTime;
        return left < delay + options.MinAttemptTime ? RetryDecision.No : new RetryDecision(true, delay);
    }

    /// <summary><c>BaseDelay × 2^attempt</c>, at most <c>MaxDelay</c>, spread over ±25 % when jitter is on.</summary>
    public static TimeSpan Backoff(int attempt, RetryOptions options, double random)
    {
        var ticks = options.BaseDelay.Ticks * Math.Pow(2, Math.Clamp(attempt, 0, 30));
        if (options.UseJitter)
        {
            ticks *= 0.75 + (0.5 * Math.Clamp(random, 0, 1));
        }

        return TimeSpan.FromTicks((long)Math.Min(ticks, options.MaxDelay.Ticks));
    }
}
