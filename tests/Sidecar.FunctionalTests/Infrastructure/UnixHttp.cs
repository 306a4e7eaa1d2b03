using System.Net.Sockets;

namespace Sidecar.FunctionalTests;

/// <summary>HTTP over a Unix socket: the gRPC channel every agent makes (HTTP/2), or an OpenAI SDK pointed at <c>openai.sock</c> (HTTP/1.1).</summary>
internal static class UnixHttp
{
    public static SocketsHttpHandler Handler(string socket) => new()
    {
        ConnectCallback = async (_, ct) =>
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                return new NetworkStream(s, ownsSocket: true);
            }
            catch
            {
                s.Dispose();
                throw;
            }
        },
    };

    public static HttpClient Client(string socket) => new(Handler(socket)) { BaseAddress = new Uri("http://localhost/"), Timeout = Daemon.Timeout };
}
