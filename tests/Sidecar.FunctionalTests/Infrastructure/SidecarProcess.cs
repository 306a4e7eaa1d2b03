using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Sidecar.FakeUpstream;

namespace Sidecar.FunctionalTests;

/// <summary>
/// The daemon as operators run it, in a child process: the published Native AOT binary when
/// <c>SIDECAR_DAEMON</c> names it (<c>./test.sh</c> sets it to <c>artifacts/publish/Sidecar</c>, the binary
/// that ships), else <c>dotnet Sidecar.dll</c> from the test's own output (the JIT build). Its standard
/// output and error are captured line by line so a test can wait for a line instead of sleeping.
/// Signals go through libc <c>kill(2)</c>, as Kubernetes sends them. A process still running at
/// dispose (a failed test) is killed so no daemon outlives its test.
/// </summary>
internal sealed class SidecarProcess : IAsyncDisposable
{
    public const int SIGINT = 2;
    public const int SIGTERM = 15;

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

    /// <summary>The variable naming the daemon executable to run instead of <c>dotnet Sidecar.dll</c>.</summary>
    public const string DaemonVariable = "SIDECAR_DAEMON";

    /// <summary>Starts the daemon with these arguments; returns at once (see <see cref="StartServingAsync"/>).</summary>
    public static SidecarProcess Start(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var binary = Environment.GetEnvironmentVariable(DaemonVariable) is { Length: > 0 } path ? Path.GetFullPath(path) : null;
        if (binary is not null && !File.Exists(binary))
        {
            throw new FileNotFoundException($"{DaemonVariable}={binary}: no such file (scripts/publish.sh makes it)", binary);
        }

        var info = new ProcessStartInfo(binary ?? DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        if (binary is null)
        {
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Sidecar.dll"));
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Nothing from the test run's environment may steer the child: the socket comes from the arguments.
        info.Environment.Remove("SIDECAR_SOCKET");
        info.Environment.Remove(DaemonVariable);
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal) || k.StartsWith("Sidecar__", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var sidecar = new SidecarProcess(process);
        process.OutputDataReceived += (_, e) => sidecar.OnLine(e.Data, sidecar._stdout, sidecar._stdoutClosed);
        process.ErrorDataReceived += (_, e) => sidecar.OnLine(e.Data, sidecar._stderr, sidecar._stderrClosed);
        Assert.True(process.Start(), $"{info.FileName} did not start");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sidecar;
    }

    /// <summary>
    /// Starts a daemon on <paramref name="socket"/> with both TCP ports off, key ref <c>fake</c> pointing at
    /// <paramref name="upstream"/> (its key in an environment variable), and waits for its "listening" line.
    /// </summary>
    public static async Task<SidecarProcess> StartServingAsync(string socket, FakeUpstreamServer? upstream, params string[] extra)
    {
        var args = new List<string>
        {
            $"--Sidecar:Socket={socket}",
            "--Sidecar:HealthPort=0",
            "--Sidecar:HttpPort=0",
            $"--Sidecar:Keys:fake:ApiKey=env:{KeyVariable}",
            $"--Sidecar:Keys:fake:Endpoint={upstream?.Endpoint.ToString() ?? "http://127.0.0.1:9/v1"}",
            "--Logging:Console:FormatterName=simple",
        };
        args.AddRange(extra);
        var process = Start(args, new Dictionary<string, string> { [KeyVariable] = $"sk-proc-{Guid.NewGuid():N}" });
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
    public void Signal(int signal)
    {
        // A process started in the background by a non-interactive shell (`./test.sh &`) ignores SIGINT
        // and SIGQUIT, and so does every process it starts, this daemon included (.NET keeps a
        // disposition ignored at start). The signal would then do nothing: say so instead of failing later.
        if (IgnoredSignals(_process.Id) is { } ignored && (ignored & (1UL << (signal - 1))) != 0)
        {
            throw new InvalidOperationException(
                $"The daemon ignores signal {signal}: it inherited SIG_IGN from this test run (started in the background by a non-interactive shell?). Run the tests in the foreground, or from a shell with job control (set -m).");
        }

        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

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

    /// <summary>The dotnet host running these tests (<c>dotnet test</c> sets DOTNET_HOST_PATH), else the one on PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>The process's ignored-signals mask (SigIgn in /proc/PID/status, bit N-1 for signal N), if readable.</summary>
    private static ulong? IgnoredSignals(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
            return line is null ? null : Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
