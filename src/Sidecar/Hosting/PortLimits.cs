namespace Sidecar.Hosting;

/// <summary>
/// Caps what a client can hold open on each TCP port (health and HTTP): connections, and requests in
/// flight (a gRPC health Watch is one that never ends). Over a cap a connection is closed at once and a
/// request gets 503; the Unix socket is never counted here, so agents are served whatever the ports see.
/// </summary>
internal sealed class PortLimits(int maxConnections, int maxRequests)
{
    private readonly Counter _healthConnections = new();
    private readonly Counter _httpConnections = new();
    private readonly Counter _healthRequests = new();
    private readonly Counter _httpRequests = new();

    public static bool Applies(ListenerKind kind) => kind is ListenerKind.Health or ListenerKind.Http;

    /// <summary>Takes a connection slot; false (the caller closes the connection) when the port is full.</summary>
    public bool TryEnterConnection(ListenerKind kind) => Connections(kind).TryEnter(maxConnections);

    public void ExitConnection(ListenerKind kind) => Connections(kind).Exit();

    public bool TryEnterRequest(ListenerKind kind) => Requests(kind).TryEnter(maxRequests);

    public void ExitRequest(ListenerKind kind) => Requests(kind).Exit();

    private Counter Connections(ListenerKind kind) => kind == ListenerKind.Health ? _healthConnections : _httpConnections;

    private Counter Requests(ListenerKind kind) => kind == ListenerKind.Health ? _healthRequests : _httpRequests;

    private sealed class Counter
    {
        private int _value;

        public bool TryEnter(int max)
        {
            if (Interlocked.Increment(ref _value) <= max)
            {
                return true;
            }

            Interlocked.Decrement(ref _value);
            return false;
        }

        public void Exit() => Interlocked.Decrement(ref _value);
    }
}
