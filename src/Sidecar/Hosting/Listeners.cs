using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Sidecar.Hosting;

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
        // Each door serves its own protocol only: gRPC on the socket, the OpenAI API on its own listeners.
        ListenerKind.Socket => !IsOpenAIPath(path),
        ListenerKind.OpenAISocket or ListenerKind.OpenAIPort => IsOpenAIPath(path),
        ListenerKind.Health => path.StartsWithSegments("/grpc.health.v1.Health", StringComparison.Ordinal),
        ListenerKind.Http => path == "/healthz" || path == "/readyz" || path == "/metrics",
        _ => false,
    };

    private static bool IsOpenAIPath(PathString path) => path.StartsWithSegments("/v1", StringComparison.Ordinal);
}
