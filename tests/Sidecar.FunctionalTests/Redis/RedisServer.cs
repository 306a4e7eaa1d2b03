using System.Diagnostics;

namespace Sidecar.FunctionalTests.Redis;

/// <summary>
/// A real <c>redis-server</c> (Debian's; <c>./test.sh</c> installs it) on a free loopback port, without persistence.
/// It can be killed and started again on the same port, empty, as a Redis restart without persistence would be.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const string Binary = "redis-server";
    private readonly RedisTlsFiles? _tls;
    private Process? _process;

    private RedisServer(int port, RedisTlsFiles? tls)
    {
        Port = port;
        _tls = tls;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string that reaches it (asking for TLS when it speaks only TLS).</summary>
    public string Configuration => _tls is null ? $"127.0.0.1:{Port}" : $"127.0.0.1:{Port},ssl=true";

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(Daemon.FreePort(), tls: null);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>A Redis that speaks only TLS on its port, with <paramref name="tls"/>'s certificate and key.</summary>
    public static async Task<RedisServer> StartTlsAsync(RedisTlsFiles tls)
    {
        var server = new RedisServer(Daemon.FreePort(), tls);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts it (again) and returns once it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] listen = _tls is null
            ? ["--port", Port.ToString()]
            : ["--port", "0", "--tls-port", Port.ToString(), "--tls-cert-file", _tls.ServerCertificate, "--tls-key-file", _tls.ServerKey, "--tls-ca-cert-file", _tls.Authority, "--tls-auth-clients", "no"];
        foreach (var argument in listen.Concat(["--bind", "127.0.0.1", "--save", string.Empty, "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice"]))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{Binary} did not start");
        _process = process;
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Daemon.Timeout);
        var seen = new List<string>();
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            seen.Add(line);
            if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                // Keep draining its output so it never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync();
                return;
            }
        }

        throw new InvalidOperationException($"{Binary} on port {Port} exited before it was ready:\n" + string.Join("\n", seen));
    }

    /// <summary>SIGKILL, as a crashed or evicted Redis: connections drop at once.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(Daemon.Timeout);
            process.Dispose();
            _process = null;
        }
    }

    public async ValueTask DisposeAsync() => await KillAsync();
}
