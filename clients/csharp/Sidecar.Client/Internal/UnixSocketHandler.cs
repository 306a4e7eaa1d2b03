using System.Net.Sockets;

namespace Sidecar.Client.Internal;

/// <summary>An HTTP handler whose connections go to a Unix domain socket.</summary>
internal static class UnixSocketHandler
{
    public static SocketsHttpHandler Create(string socketPath)
    {
        var endPoint = new UnixDomainSocketEndPoint(socketPath);
        return new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            // Long-lived agents: keep the one HTTP/2 connection alive while idle.
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            EnableMultipleHttp2Connections = true,
        };
    }
}
