using Grpc.Net.Client;
using Sidecar.Client.Internal;

namespace Sidecar.Testing;

/// <summary>
/// HTTP over a Unix socket, as agents reach the daemon: a gRPC channel (HTTP/2) or an OpenAI SDK pointed at
/// <c>openai.sock</c> (HTTP/1.1). The handler is the shipped C# client's (<see cref="UnixSocketHandler"/>, its
/// source compiled in here): one connection, kept alive while idle, more past 100 streams, as an agent has.
/// </summary>
public static class UnixSocketHttp
{
    /// <summary>A handler whose every connection goes to <paramref name="socketPath"/>; set its other knobs on the result.</summary>
    public static SocketsHttpHandler Handler(string socketPath) => UnixSocketHandler.Create(socketPath);

    /// <summary>
    /// A gRPC channel to the daemon on <paramref name="socketPath"/> with <paramref name="options"/> (the channel
    /// owns and disposes the handler).
    /// </summary>
    public static GrpcChannel Channel(string socketPath, GrpcChannelOptions? options = null)
    {
        options ??= new GrpcChannelOptions();
        options.HttpHandler = Handler(socketPath);
        options.DisposeHttpClient = true;
        return GrpcChannel.ForAddress("http://localhost", options);
    }
}
