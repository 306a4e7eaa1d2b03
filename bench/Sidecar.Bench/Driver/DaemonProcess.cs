using System.Diagnostics;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Sidecar.Testing;

namespace Sidecar.Bench.Driver;

/// <summary>
/// A server under test as its own process (the daemon, AOT or JIT, or the floor reference) on a
/// temporary socket, so its CPU and memory can be read from <c>/proc</c> apart from the driver's.
/// Its log goes to a file.
/// </summary>
internal sealed class DaemonProcess : IAsyncDisposable
{
    public const string ApiKeyVariable = "BENCH_KEY";
    public const string ApiKey = "sk-bench-not-a-secret";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;

    private DaemonProcess(Process process, string socket, string logPath, GrpcChannel channel)
    {
        _process = process;
        Socket = socket;
        LogPath = logPath;
        Channel = channel;
    }

    public int Pid => _process.Id;

    public string Socket { get; }

    /// <summary>The daemon's OpenAI-compatible door (HTTP/1.1), beside its gRPC socket.</summary>
    public string OpenAISocket => OpenAISocketPath(Socket);

    private static string OpenAISocketPath(string socket) => Path.ChangeExtension(socket, ".openai.sock");

    public string LogPath { get; }

    public GrpcChannel Channel { get; }

    /// <summary>From asking the OS to start the process to <c>grpc.health.v1</c> readiness answering SERVING on the socket.</summary>
    public double StartupMs { get; private set; }

    /// <summary>Starts the server; the daemon gets the bench key (<c>bench</c> → the bench upstream) and any extra settings.</summary>
    public static async Task<DaemonProcess> StartAsync(DaemonBuild build, string workDir, string name, Uri upstream, IEnumerable<string> extraArgs, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var socket = Path.Combine(workDir, $"{name}.sock");
        var openAISocket = OpenAISocketPath(socket);
        var logPath = Path.Combine(workDir, $"{name}.log");
        string[] sidecarArgs =
        [
            $"--Sidecar:Socket={socket}",

            // The door's default (openai.sock beside the gRPC socket) would be one path for every
            // daemon of the run, and a second daemon refuses to start on a live socket.
            $"--Sidecar:OpenAI:Socket={openAISocket}",
            "--Sidecar:HealthPort=0",
            "--Sidecar:HttpPort=0",
            "--Sidecar:ShutdownGrace=00:00:02",
            $"--Sidecar:Keys:bench:ApiKey=env:{ApiKeyVariable}",
            $"--Sidecar:Keys:bench:Endpoint={upstream}",

            // The bench measures the daemon, not its per-key limits (256 in flight by default):
            // the closed-loop and ramp phases would otherwise be refused with LOCAL_LIMIT.
            "--Sidecar:Keys:bench:Limits:MaxConcurrentRequests=0",

            // The same target through a one-member pool: the CPU phase compares the two.
            "--Sidecar:Keys:bench-pool:Pool:0=bench",
        ];
        var info = DaemonLauncher.StartInfo(
            build.Program,
            build.Arguments.Concat(build.IsSidecar ? sidecarArgs.Concat(extraArgs) : ["-socket", socket]),
            environment.Concat(build.Environment).Append(KeyValuePair.Create(ApiKeyVariable, ApiKey)),
            logFile: logPath);
        var start = Ticks.Now;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the daemon");
        var channel = SidecarTarget.Channel(socket);
        var daemon = new DaemonProcess(process, socket, logPath, channel) { Build = build };
        try
        {
            await daemon.WaitReadyAsync(cancellationToken);
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }

        daemon.StartupMs = Ticks.MicrosSince(start) / 1000.0;
        return daemon;
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        var health = new Health.HealthClient(Channel);
        var deadline = Ticks.Now + Ticks.FromMillis(ReadyTimeout.TotalMilliseconds);
        // Polling with a bounded timeout is the only way to see a process become ready from outside.
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the daemon exited with code {_process.ExitCode} before it was ready:{Environment.NewLine}{LogTail()}");
            }

            if (Ticks.Now > deadline)
            {
                throw new TimeoutException($"the daemon was not ready within {ReadyTimeout.TotalSeconds} s:{Environment.NewLine}{LogTail()}");
            }

            if (File.Exists(Socket))
            {
                try
                {
                    var reply = await health.CheckAsync(new HealthCheckRequest { Service = "readiness" }, deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
                    if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                    {
                        return;
                    }
                }
                catch (RpcException)
                {
                    // Not listening yet, or not ready yet.
                }
            }

            await Task.Delay(1, cancellationToken);
        }
    }

    public double CpuSeconds() => ProcStat.CpuSeconds(Pid);

    public double RssMiB() => ProcStat.RssMiB(Pid);

    public DaemonBuild Build { get; private init; } = null!;

    public string LogTail(int lines = 20)
    {
        try
        {
            return string.Join(Environment.NewLine, File.ReadLines(LogPath).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>SIGTERM, as Kubernetes stops it; SIGKILL if it does not exit in time.</summary>
    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        if (!_process.HasExited)
        {
            try
            {
                DaemonLauncher.Signal(_process.Id, DaemonLauncher.SIGTERM);
            }
            catch (InvalidOperationException)
            {
                // It exited meanwhile; the wait below returns at once.
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}

