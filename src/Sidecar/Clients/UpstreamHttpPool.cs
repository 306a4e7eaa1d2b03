using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Options;
using Sidecar.Configuration;

namespace Sidecar.Clients;

/// <summary>
/// One pooled <see cref="HttpClient"/> per upstream origin, shared by every key's client: a new key
/// costs no socket, connections are reused across keys, and <c>PooledConnectionLifetime</c> lets DNS
/// changes through. Origins come from configuration only, so the pool is bounded.
/// </summary>
internal sealed class UpstreamHttpPool : IDisposable
{
    private readonly ConcurrentDictionary<string, Upstream> _upstreams = new(StringComparer.Ordinal);
    private readonly UpstreamOptions _options;

    public UpstreamHttpPool(IOptions<SidecarOptions> options)
    {
        _options = options.Value.Upstream;
    }

    public PipelineTransport TransportFor(Uri endpoint) => Get(endpoint).Transport;

    private Upstream Get(Uri endpoint) =>
        _upstreams.GetOrAdd(endpoint.GetLeftPart(UriPartial.Authority), static (_, options) => Create(options), _options);

    private static Upstream Create(UpstreamOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = options.PooledConnectionLifetime,
            PooledConnectionIdleTimeout = options.PooledConnectionIdleTimeout,
            ConnectTimeout = options.ConnectTimeout,
            AutomaticDecompression = DecompressionMethods.None,
            EnableMultipleHttp2Connections = true,
            // A redirect would re-post the prompt, with the key, wherever the upstream points: the
            // 3xx is the caller's answer instead (UPSTREAM_REJECTED).
            AllowAutoRedirect = false,
            // Tracing: a traceparent of the daemon's own span; the caller's tracestate and baggage only if configured.
            ActivityHeadersPropagator = options.ForwardTraceStateAndBaggage ? DistributedContextPropagator.Current : TraceparentOnlyPropagator.Instance,
        };

        // Deadlines and cancellation come from the gRPC call, not from a client-wide timeout.
        var limits = new UpstreamResponseLimits(options) { InnerHandler = handler };
        var client = new HttpClient(limits, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        return new Upstream(client, new HttpClientPipelineTransport(client));
    }

    public void Dispose()
    {
        foreach (var upstream in _upstreams.Values)
        {
            upstream.Client.Dispose();
        }

        _upstreams.Clear();
    }

    private sealed record Upstream(HttpClient Client, PipelineTransport Transport);
}
