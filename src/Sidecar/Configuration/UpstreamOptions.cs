namespace Sidecar.Configuration;

/// <summary>The HTTP connections to upstreams, <c>Sidecar:Upstream</c>.</summary>
public sealed class UpstreamOptions
{
    /// <summary>A pooled connection is replaced after this long, so DNS changes are seen. Default 5 min.</summary>
    public TimeSpan PooledConnectionLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>An idle pooled connection is closed after this long. Default 90 s.</summary>
    public TimeSpan PooledConnectionIdleTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Time allowed to open a connection. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
