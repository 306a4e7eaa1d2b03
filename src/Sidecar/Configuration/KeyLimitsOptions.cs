namespace Sidecar.Configuration;

/// <summary>
/// Local limits of one key reference: <c>Sidecar:Keys:&lt;key_ref&gt;:Limits</c> for a configured key, and
/// <c>Sidecar:Resilience:Limits</c> for the defaults every other key reference (keys-directory ones included)
/// gets. A value a key leaves unset comes from the defaults. A call over a limit is refused with
/// RESOURCE_EXHAUSTED, reason <c>LOCAL_LIMIT</c>, and a <c>RetryInfo</c>.
/// </summary>
public sealed class KeyLimitsOptions
{
    internal const int DefaultMaxConcurrentRequests = 256;
    internal const int DefaultQueueLimit = 256;

    /// <summary>Calls (unary or streaming) in flight at once for the key reference; more wait in the queue.
    /// Default 256; 0 means no limit.</summary>
    public int? MaxConcurrentRequests { get; set; }

    /// <summary>Calls that may wait for a free slot (oldest first, for as long as their deadline allows); one
    /// more is refused at once. Default 256; 0 refuses at once whenever every slot is taken.</summary>
    public int? QueueLimit { get; set; }

    /// <summary>Calls per minute for the key reference, as a token bucket: a burst of this many, refilled
    /// evenly over the minute. Default 0: no limit.</summary>
    public int? RequestsPerMinute { get; set; }
}
