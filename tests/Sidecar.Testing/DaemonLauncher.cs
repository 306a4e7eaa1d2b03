using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Sidecar.Testing;

/// <summary>
/// The one way the functional tests and the bench start the daemon (or another server they measure) as a
/// child process: the program (the published Native AOT binary or <c>dotnet Sidecar.dll</c>), an
/// environment cleared of whatever could steer the daemon from outside the test, and signals sent with
/// libc <c>kill(2)</c>, as the kubelet or a terminal sends them.
/// </summary>
public static partial class DaemonLauncher
{
    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    /// <summary>The variable naming the daemon executable to run instead of <c>dotnet Sidecar.dll</c>
    /// (<c>./test.sh</c> sets it to <c>artifacts/publish/Sidecar</c>, the binary that ships).</summary>
    public const string DaemonVariable = "SIDECAR_DAEMON";

    /// <summary>The variable the shell of a logged start reads the log file's path from.</summary>
    private const string LogVariable = "SIDECAR_LAUNCH_LOG";

    /// <summary>The daemon to run: the binary <see cref="DaemonVariable"/> names, else <c>dotnet</c> <paramref name="jitDll"/>.</summary>
    public static (string Program, IReadOnlyList<string> Arguments) Daemon(string jitDll)
    {
        if (Environment.GetEnvironmentVariable(DaemonVariable) is not { Length: > 0 } variable)
        {
            return (DotnetHost(), [jitDll]);
        }

        var binary = Path.GetFullPath(variable);
        return File.Exists(binary)
            ? (binary, [])
            : throw new FileNotFoundException($"{DaemonVariable}={binary}: no such file (scripts/publish.sh makes it)", binary);
    }

    /// <summary>The dotnet host running this process (<c>dotnet test</c> sets DOTNET_HOST_PATH), else the one on PATH.</summary>
    public static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>
    /// How to start <paramref name="program"/> with <paramref name="arguments"/>: no shell of ours, and an
    /// environment without the socket, <c>Sidecar__*</c>, <c>OTEL_*</c> and <see cref="DaemonVariable"/> of this
    /// process (settings come from the arguments), plus <paramref name="environment"/>. With
    /// <paramref name="logFile"/> standard output and error go to that file through <c>sh</c>'s <c>exec</c>
    /// (the pid stays the program's, and this process spends nothing reading them); without it the caller
    /// redirects what it reads.
    /// </summary>
    public static ProcessStartInfo StartInfo(
        string program,
        IEnumerable<string> arguments,
        IEnumerable<KeyValuePair<string, string>>? environment = null,
        string? logFile = null)
    {
        var info = new ProcessStartInfo(logFile is null ? program : "/bin/sh") { UseShellExecute = false };
        if (logFile is not null)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add($"exec \"$0\" \"$@\" >\"${LogVariable}\" 2>&1");
            info.ArgumentList.Add(program);
            info.Environment[LogVariable] = logFile;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Remove("SIDECAR_SOCKET");
        info.Environment.Remove(DaemonVariable);
        foreach (var name in info.Environment.Keys.Where(k =>
            k.StartsWith("OTEL_", StringComparison.Ordinal) || k.StartsWith("Sidecar__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? [])
        {
            info.Environment[name] = value;
        }

        return info;
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/> with <c>kill(2)</c>; throws when it cannot be delivered or would be ignored.</summary>
    public static void Signal(int pid, int signal)
    {
        // A process started in the background by a non-interactive shell (`./test.sh &`) ignores SIGINT
        // and SIGQUIT, and so does every process it starts, the daemon included (.NET keeps a
        // disposition ignored at start). The signal would then do nothing: say so instead of failing later.
        if (IgnoredSignals(pid) is { } ignored && (ignored & (1UL << (signal - 1))) != 0)
        {
            throw new InvalidOperationException(
                $"Process {pid} ignores signal {signal}: it inherited SIG_IGN from this run (started in the background by a non-interactive shell?). Run in the foreground, or from a shell with job control (set -m).");
        }

        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

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

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
