using System.Diagnostics;
using System.Text;

namespace Sidecar.FunctionalTests;

/// <summary>
/// The daemon as operators run it, in a child process started by <see cref="DaemonLauncher"/>: the published
/// Native AOT binary when <c>SIDECAR_DAEMON</c> names it, else <c>dotnet Sidecar.dll</c> from the test's own
/// output (the JIT build). Its standard output and error are captured line by line so a test can wait for a
/// line instead of sleeping. A process still running at dispose (a failed test) is killed so no daemon
/// outlives its test.
/// </summary>
internal sealed class SidecarProcess : IAsyncDisposable
{
    public const int SIGINT = DaemonLauncher.SIGINT;
    public const int SIGTERM = DaemonLauncher.SIGTERM;

    /// <summary>The variable the <c>fake</c> key ref reads its key from (<c>env:</c>), set only in the child.</summary>
    public const string KeyVariable = "SIDECAR_FT_FAKE_KEY";

    private readonly Process _process;
    private readonly object _gate = new();
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SidecarProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public string StandardOutput
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _stdout);
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _stderr);
            }
        }
    }

    /// <summary>Starts the daemon with these arguments; returns at once (see <see cref="StartServingAsync"/>).</summary>
    public static SidecarProcess Start(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var (program, programArgs) = DaemonLauncher.Daemon(Path.Combine(AppContext.BaseDirectory, "Sidecar.dll"));
        var info = DaemonLauncher.StartInfo(program, programArgs.Concat(args), environment);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.StandardOutputEncoding = Encoding.UTF8;
        info.StandardErrorEncoding = Encoding.UTF8;
        info.WorkingDirectory = AppContext.BaseDirectory;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var sidecar = new SidecarProcess(process);
        process.OutputDataReceived += (_, e) => sidecar.OnLine(e.Data, sidecar._stdout, sidecar._stdoutClosed);
        process.ErrorDataReceived += (_, e) => sidecar.OnLine(e.Data, sidecar._stderr, sidecar._stderrClosed);
        Assert.True(process.Start(), $"{info.FileName} did not start");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sidecar;
    }

    /// <summary>Starts a daemon on <paramref name="socket"/> with both TCP ports off and nothing else set; returns at once.</summary>
    public static SidecarProcess StartOn(string socket, params string[] extra) => Start(OnSocket(socket, extra));

    private static string[] OnSocket(string socket, IEnumerable<string> extra) =>
        [$"--Sidecar:Socket={socket}", "--Sidecar:HealthPort=0", "--Sidecar:HttpPort=0", .. extra];

    /// <summary>
    /// Starts a daemon on <paramref name="socket"/> with both TCP ports off, key ref <c>fake</c> pointing at
    /// <paramref name="upstream"/> (its key in an environment variable), and waits for its "listening" line.
    /// </summary>
    public static async Task<SidecarProcess> StartServingAsync(string socket, FakeUpstreamServer? upstream, params string[] extra)
    {
        var args = new List<string>
        {
            $"--Sidecar:Keys:fake:ApiKey=env:{KeyVariable}",
            $"--Sidecar:Keys:fake:Endpoint={upstream?.Endpoint.ToString() ?? "http://127.0.0.1:9/v1"}",
            "--Logging:Console:FormatterName=simple",
        };
        args.AddRange(extra);
        var process = Start(OnSocket(socket, args), new Dictionary<string, string> { [KeyVariable] = $"sk-proc-{Guid.NewGuid():N}" });
        try
        {
            await process.WaitForOutputAsync(line => line.Contains("Sidecar listening on unix:", StringComparison.Ordinal));
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends a signal with kill(2), as the kubelet or a terminal does.</summary>
    public void Signal(int signal) => DaemonLauncher.Signal(_process.Id, signal);

    /// <summary>Waits for a line of standard output that matches (lines already written count); fails if the output ends first.</summary>
    public Task<string> WaitForOutputAsync(Func<string, bool> match)
    {
        TaskCompletionSource<string> found;
        lock (_gate)
        {
            if (_stdout.FirstOrDefault(match) is { } seen)
            {
                return Task.FromResult(seen);
            }

            found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_stdoutClosed.Task.IsCompleted)
            {
                found.SetException(NoSuchLine());
            }
            else
            {
                _waiters.Add((match, found));
            }
        }

        return found.Task.WaitAsync(Daemon.Timeout);
    }

    /// <summary>Waits for the process to exit and its output to be read to the end; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Daemon.Timeout);
        await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(Daemon.Timeout);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // Only a failed test gets here; the daemon must not outlive it.
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(Daemon.Timeout);
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void OnLine(string? line, List<string> lines, TaskCompletionSource closed)
    {
        lock (_gate)
        {
            if (line is null)
            {
                closed.TrySetResult();
                if (ReferenceEquals(lines, _stdout))
                {
                    foreach (var (_, found) in _waiters)
                    {
                        found.TrySetException(NoSuchLine());
                    }

                    _waiters.Clear();
                }

                return;
            }

            lines.Add(line);
            if (!ReferenceEquals(lines, _stdout))
            {
                return;
            }

            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    _waiters[i].Found.TrySetResult(line);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private Exception NoSuchLine() => new InvalidOperationException(
        $"The daemon's output ended without the awaited line.\n--- stdout:\n{string.Join('\n', _stdout)}\n--- stderr:\n{string.Join('\n', _stderr)}");
}
