namespace Sidecar.Configuration;

/// <summary>
/// How the daemon absorbs upstream failures and protects itself, <c>Sidecar:Resilience</c>: deadlines and
/// stream timeouts, retries, circuit breakers and local limits. Validated at start with the rest of the
/// configuration; the retry and limit settings follow configuration reloads, the breaker settings apply
/// to breakers created after a reload.
/// </summary>
public sealed class ResilienceOptions
{
    /// <summary>The deadline of a call whose caller set none. Past it the call ends with DEADLINE_EXCEEDED.
    /// Default 10 min. A caller's own deadline always wins, longer or shorter.</summary>
    public TimeSpan DefaultDeadline { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest wait for a stream's first content or tool-call delta, per attempt. Past it the attempt
    /// is abandoned (and retried like a 503 while retries and the deadline allow); the caller sees UNAVAILABLE
    /// with reason <c>UPSTREAM_UNAVAILABLE</c>. Default 2 min: reasoning models think before their first token.</summary>
    public TimeSpan FirstTokenTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Longest silence between two updates of a stream once it has started. Past it the stream ends
    /// with UNAVAILABLE, reason <c>UPSTREAM_STREAM_BROKEN</c> (never retried: the caller already has part of
    /// the answer). Default 1 min.</summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most streams relayed at once, over all key references; one more is refused with
    /// RESOURCE_EXHAUSTED, reason <c>LOCAL_LIMIT</c>. Default 2 000; 0 means no cap.</summary>
    public int MaxConcurrentStreams { get; set; } = 2_000;

    public RetryOptions Retry { get; set; } = new();

    public CircuitBreakerOptions CircuitBreaker { get; set; } = new();

    /// <summary>Limits for every key reference that sets none of its own in <c>Sidecar:Keys:&lt;key_ref&gt;:Limits</c>.
    /// Defaults: 256 concurrent requests, a queue of 256, no requests-per-minute limit.</summary>
    public KeyLimitsOptions Limits { get; set; } = new()
    {
        MaxConcurrentRequests = KeyLimitsOptions.DefaultMaxConcurrentRequests,
        QueueLimit = KeyLimitsOptions.DefaultQueueLimit,
        RequestsPerMinute = 0,
    };
}
