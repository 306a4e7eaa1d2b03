namespace Sidecar.Configuration;

/// <summary>The upstream client cache, <c>Sidecar:ClientCache</c>.</summary>
public sealed class ClientCacheOptions
{
    /// <summary>An unused client leaves the cache after this long. Default 1 h.</summary>
    public TimeSpan SlidingExpiration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A client leaves the cache after this long however often it is used. Default 24 h.</summary>
    public TimeSpan AbsoluteExpiration { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often expired clients are swept. Default 5 min.</summary>
    public TimeSpan ScanFrequency { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most clients held at once; memory stays bounded however many key references come and go. Default 10 000.</summary>
    public int MaxEntries { get; set; } = 10_000;
}
