using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Sidecar.Hosting;

/// <summary>Which listener a connection came in on. Kestrel tags each connection as it is accepted.</summary>
internal enum ListenerKind
{
    Unknown,
    Socket,
    Health,
    Http,
}

internal static class Listeners
{
    private const string ItemKey = "sidecar.listener";

    public static void Tag(ConnectionContext connection, ListenerKind kind) => connection.Items[ItemKey] = kind;

    public static ListenerKind Of(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ItemKey, out var kind) == true && kind is ListenerKind k
            ? k
            : ListenerKind.Unknown;

    /// <summary>
    /// The TCP ports exist for probes and scrapes only: they never serve Completions (nor reflection),
    /// whatever path or Host header a client sends.
    /// </summary>
    public static bool Allows(ListenerKind kind, PathString path) => kind switch
    {
        ListenerKind.Socket => true,
        ListenerKind.Health => path.StartsWithSegments("/grpc.health.v1.Health", StringComparison.Ordinal),
        ListenerKind.Http => path == "/healthz" || path == "/readyz" || path == "/metrics",
        _ => false,
    };
}
