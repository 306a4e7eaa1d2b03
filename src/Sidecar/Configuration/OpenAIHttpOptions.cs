namespace Sidecar.Configuration;

/// <summary>
/// The OpenAI-compatible HTTP door, <c>Sidecar:OpenAI</c>: <c>POST /v1/chat/completions</c> and
/// <c>GET /v1/models</c>, with the key_ref as the bearer token, into the same pipeline as gRPC.
/// </summary>
public sealed class OpenAIHttpOptions
{
    /// <summary>
    /// Path of the Unix socket serving HTTP/1.1 (a second socket: a cleartext Kestrel endpoint speaks
    /// HTTP/1.1 or prior-knowledge HTTP/2, not both). Unset: <c>openai.sock</c> in the directory of
    /// <see cref="SidecarOptions.Socket"/>. Empty: off. Same file mode, group and stale/live rules as the gRPC socket.
    /// </summary>
    public string? Socket { get; set; }

    /// <summary>
    /// A TCP port on 127.0.0.1, for SDKs that cannot dial a socket. Default 0 (off). There are no peer
    /// credentials over TCP, so key refs restricted to callers (AllowedUids/AllowedGids) are refused there.
    /// </summary>
    public int Port { get; set; }

    /// <summary>The socket path in force: the configured one, the default beside the gRPC socket, or null when off.</summary>
    public string? SocketPath(string grpcSocket) => Socket switch
    {
        null => Path.Combine(Path.GetDirectoryName(grpcSocket) ?? "/", "openai.sock"),
        { Length: 0 } => null,
        var path => path,
    };
}
