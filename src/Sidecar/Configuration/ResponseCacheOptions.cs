namespace Sidecar.Configuration;

/// <summary>
/// The exact-match response cache of one key reference, <c>Sidecar:Keys:&lt;key_ref&gt;:Cache</c>: in process, and on
/// Redis when <c>Sidecar:Redis:Configuration</c> is set. Only requests with temperature 0, or whose caller opts in
/// (request metadata <c>sidecar.cache=on</c>), are cached.
/// </summary>
public sealed class ResponseCacheOptions
{
    /// <summary>How long an answer is kept, at most 7 days. Default 0: off.</summary>
    public TimeSpan Ttl { get; set; }
}
