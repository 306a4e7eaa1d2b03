namespace Sidecar.Configuration;

/// <summary>
/// Retries of failed upstream attempts, <c>Sidecar:Resilience:Retry</c>. Retried: HTTP 408, 429, 500, 502,
/// 503, 504, connection failures and a stream's first-token timeout, and only before anything was relayed
/// to the caller. Never retried: other 4xx, and a stream that has started.
/// </summary>
public sealed class RetryOptions
{
    /// <summary>Retries after the first attempt. Default 2 (three attempts at most); 0 turns retrying off.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>The wait before the first retry; each later retry waits twice as long. Default 500 ms.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest computed wait between attempts. Default 10 s.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Spreads each computed wait randomly over ±25 % so callers that failed together do not
    /// retry together. Default true.</summary>
    public bool UseJitter { get; set; } = true;

    /// <summary>The longest <c>Retry-After</c> (or <c>retry-after-ms</c>) the daemon waits out itself. An
    /// upstream asking for a longer wait is not retried: the caller gets its answer at once, with the
    /// upstream's delay in <c>RetryInfo</c>. Default 10 s.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A retry is made only when, after its wait, at least this much is left before the call's
    /// deadline: an attempt that cannot finish is not started. Default 1 s.</summary>
    public TimeSpan MinAttemptTime { get; set; } = TimeSpan.FromSeconds(1);
}
