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

    /// <summary>The OpenAI-compatible door's Unix socket (HTTP/1.1, peer credentials known).</summary>
    OpenAISocket,

    /// <summary>The OpenAI-compatible door's loopback port (no peer credentials).</summary>
    OpenAIPort,
}
