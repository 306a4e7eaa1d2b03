namespace Sidecar.FunctionalTests;

/// <summary>HTTP/1.1 over a Unix socket: an OpenAI SDK or a raw HTTP client pointed at <c>openai.sock</c>.</summary>
internal static class UnixHttp
{
    public static HttpClient Client(string socket) =>
        new(UnixSocketHttp.Handler(socket)) { BaseAddress = new Uri("http://localhost/"), Timeout = Daemon.Timeout };
}
