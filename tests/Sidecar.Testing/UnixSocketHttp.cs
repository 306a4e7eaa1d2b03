using System.Net.Sockets;
using Grpc.Net.Client;

namespace Sidecar.Testing;

/// <summary>
/// HTTP over a Unix socket, as agents reach the daemon: a gRPC channel (HTTP/2) or an OpenAI SDK pointed
/// at <c>openai.sock</c> (HTTP/1.1). The shipped C# client has its own handler
/// (<c>clients/csharp/Sidecar.Client/Internal/UnixSocketHandler.cs</c>): a package stands alone.
/// </summary>
public static class UnixSocketHttp
{
    /// <summary>A handler whose every connection goes to <paramref name="socketPath"/>; set its other knobs on the result.</summary>
    public static SocketsHttpHandler Handler(string socketPath)
    {
        var endPoint = new UnixDomainSocketEndPoint(socketPath);
        return new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(endPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
    }

    /// <summary>
    /// A gRPC channel to the daemon on <paramref name="socketPath"/> over <paramref name="handler"/> (default:
    /// <see cref="Handler"/>), with <paramref name="options"/> (the channel owns and disposes the handler).
    /// </summary>
    public static GrpcChannel Channel(string socketPath, GrpcChannelOptions? options = null, SocketsHttpHandler? handler = null)
    {
        options ??= new GrpcChannelOptions();
        options.HttpHandler = handler ?? Handler(socketPath);
        options.DisposeHttpClient = true;
        return GrpcChannel.ForAddress("http://localhost", options);
    }
}
