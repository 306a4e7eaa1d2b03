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

    /// <summary>Most bytes read of an upstream response the daemon holds whole (every answer that is not an
    /// event stream: completions, errors). Past it the attempt fails. Default 16 MiB.</summary>
    public long MaxResponseBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Most bytes of one server-sent event (one line, or the lines of one event together) of a
    /// streamed answer. Past it the stream fails. Default 4 MiB.</summary>
    public long MaxEventBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Whether the caller's <c>tracestate</c> and <c>baggage</c> go on to the provider. Default
    /// false: the provider gets a <c>traceparent</c> of the daemon's own span and nothing else.</summary>
    public bool ForwardTraceStateAndBaggage { get; set; }
}
