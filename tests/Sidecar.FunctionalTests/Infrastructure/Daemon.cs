using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Sidecar.Hosting;

namespace Sidecar.FunctionalTests;

/// <summary>
/// The real daemon, in this process, on a real Unix socket in its own temporary folder, with real
/// TCP health ports on loopback. Key ref <c>fake</c> points at the fake upstream (its key in a file),
/// <c>echo</c> is the echo provider. On dispose it checks that no log line holds a secret it used.
/// </summary>
public sealed class Daemon : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly DirectoryInfo _dir;
    private readonly WebApplication _app;
    private readonly LogSink _logs;
    private readonly List<string> _secrets;

    private Daemon(DirectoryInfo dir, WebApplication app, LogSink logs, List<string> secrets, string socket, int healthPort, int httpPort)
    {
        _dir = dir;
        _app = app;
        _logs = logs;
        _secrets = secrets;
        Socket = socket;
        Channel = SocketChannel(socket);
        Client = new Completions.CompletionsClient(Channel);
        HealthPort = healthPort;
        HttpPort = httpPort;
    }

    public string Socket { get; }

    public int HealthPort { get; }

    public int HttpPort { get; }

    public string Directory => _dir.FullName;

    public GrpcChannel Channel { get; }

    public Completions.CompletionsClient Client { get; }

    public WebApplication App => _app;

    /// <summary>
    /// Every line the daemon logged. Tests match log text only where the line is the behaviour: what an operator
    /// reads (a refused reload, a refused key or link, a removed stale socket, the per-call line with its trace id)
    /// when the caller is told less on purpose, or a figure the daemon states that a test may not time (a retry's
    /// delay). They match the line's distinctive words, not all of it.
    /// </summary>
    public IReadOnlyCollection<string> LogLines => _logs.Lines;

    /// <summary>The key the <c>fake</c> key ref resolves to.</summary>
    public string UpstreamKey => _secrets[0];

    public HealthClient SocketHealth => new(Channel);

    public static async Task<Daemon> StartAsync(
        FakeUpstreamServer? upstream,
        IDictionary<string, string>? settings = null,
        Action<WebApplicationBuilder>? configure = null,
        string? socketPath = null)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("sidecar-ft-");
        var socket = socketPath ?? Path.Combine(dir.FullName, "sidecar.sock");
        var key = $"sk-test-{Guid.NewGuid():N}";
        var keyFile = Path.Combine(dir.FullName, "fake.key");
        await File.WriteAllTextAsync(keyFile, key + "\n");

        // A test may pass a port it took from FreePort (Sidecar:OpenAI:Port), and the kernel may hand the
        // same free port out again: the daemon's own ports avoid every port the settings name.
        var taken = new HashSet<int>();
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            if (name.EndsWith("Port", StringComparison.Ordinal) && int.TryParse(value, out var port))
            {
                taken.Add(port);
            }
        }

        var healthPort = FreePort(taken);
        taken.Add(healthPort);
        var httpPort = FreePort(taken);

        var all = new Dictionary<string, string>
        {
            ["Sidecar:Socket"] = socket,
            ["Sidecar:HealthAddress"] = "127.0.0.1",
            ["Sidecar:HealthPort"] = healthPort.ToString(),
            ["Sidecar:HttpPort"] = httpPort.ToString(),
            ["Sidecar:Keys:echo:Provider"] = "echo",
            ["Sidecar:Keys:fake:ApiKey"] = $"file:{keyFile}",
            ["Sidecar:Keys:fake:Endpoint"] = upstream?.Endpoint.ToString() ?? "http://127.0.0.1:9/v1",
            ["Sidecar:ShutdownGrace"] = "00:00:20",
            ["Logging:Console:FormatterName"] = "simple",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            all[name] = value;
        }

        var logs = new LogSink();
        var app = SidecarApp.Create(
            all.Select(kv => $"--{kv.Key}={kv.Value}").ToArray(),
            builder =>
            {
                builder.Logging.AddProvider(logs);
                configure?.Invoke(builder);
            });
        await app.StartAsync().WaitAsync(Timeout);
        return new Daemon(dir, app, logs, [key], socket, healthPort, httpPort);
    }

    /// <summary>A channel to a Unix socket, as every agent makes one; without message size limits unless
    /// <paramref name="grpcDefaultLimits"/> (then 4 MiB received at most, as any gRPC client by default).</summary>
    public static GrpcChannel SocketChannel(string socket, bool grpcDefaultLimits = false) => UnixSocketHttp.Channel(socket, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = grpcDefaultLimits ? 4 * 1024 * 1024 : null,
        MaxSendMessageSize = null,
    });

    public GrpcChannel HealthPortChannel() => GrpcChannel.ForAddress($"http://127.0.0.1:{HealthPort}");

    public HttpClient HttpPortClient() => new() { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}") };

    /// <summary>Adds a value that must never appear in a log line.</summary>
    public void AddSecret(string secret) => _secrets.Add(secret);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int FreePort(HashSet<int> taken)
    {
        var port = FreePort();
        while (taken.Contains(port))
        {
            port = FreePort();
        }

        return port;
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        try
        {
            await _app.StopAsync().WaitAsync(Timeout);
        }
        finally
        {
            await _app.DisposeAsync();
            _dir.Delete(recursive: true);
        }

        var leaks = _logs.Lines.Where(line => _secrets.Any(s => line.Contains(s, StringComparison.Ordinal))).ToList();
        Assert.True(leaks.Count == 0, "A log line holds a secret:\n" + string.Join("\n", leaks));
    }

    /// <summary>Keeps every log line the daemon writes, exceptions included.</summary>
    private sealed class LogSink : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => new SinkLogger(categoryName, _lines);

        public void Dispose()
        {
        }

        private sealed class SinkLogger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} {exception}");
        }
    }
}
