namespace Sidecar.Configuration;

/// <summary>
/// The client cache, <c>Sidecar:ClientCache</c>: one entry per key ref, holding its upstream client and
/// the per-key state of the limits and breakers, which leave with it.
/// </summary>
public sealed class ClientCacheOptions
{
    /// <summary>
    /// Most key refs held at once (the least recently used leave first), each with its client, limiters
    /// and key breaker. It bounds three more maps, which have no size setting of their own on purpose:
    /// the key resolutions kept for <c>KeyRefreshInterval</c> and the model lists of <c>/v1/models</c>
    /// (one per key ref, like the clients), and the per-model circuit breakers (one per model called
    /// through a resolved key: as many models as key refs are worth a client are worth remembering). An
    /// entry of each is far smaller than a client, so the bound that keeps the clients' memory in check
    /// keeps theirs too; an operator sizes one number. Memory stays bounded however many key refs and
    /// models come and go. Default 10 000.
    /// </summary>
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>An unused key ref's entry leaves the cache after this long. Default 1 h.</summary>
    public TimeSpan SlidingExpiration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>An entry leaves the cache after this long however often it is used. Default 24 h.</summary>
    public TimeSpan AbsoluteExpiration { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often a timer sweeps expired entries, whether or not calls come. Default 5 min.</summary>
    public TimeSpan ScanFrequency { get; set; } = TimeSpan.FromMinutes(5);
}
