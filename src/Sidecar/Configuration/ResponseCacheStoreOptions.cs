namespace Sidecar.Configuration;

/// <summary>
/// The response cache's bounds in this process, <c>Sidecar:ResponseCache</c> (read at start). Which key refs cache,
/// and for how long, is <c>Sidecar:Keys:&lt;key_ref&gt;:Cache:Ttl</c>.
/// </summary>
public sealed class ResponseCacheStoreOptions
{
    /// <summary>Most bytes of answers held in memory (the first level); past it the oldest leave. Default 64 MiB.</summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest answer cached; a larger one is served and not kept. Default 1 MiB.</summary>
    public int MaxEntryBytes { get; set; } = 1024 * 1024;
}
