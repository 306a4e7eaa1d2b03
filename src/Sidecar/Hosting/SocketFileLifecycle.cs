using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using Sidecar.Configuration;

namespace Sidecar.Hosting;

/// <summary>
/// Gives the socket its configured mode with no window in which it is wider: while Kestrel binds,
/// the process umask is 0077 (owner only); once started, the mode is set exactly and the umask
/// restored. The file is removed at stop if anything left it behind.
/// </summary>
internal sealed partial class SocketFileLifecycle(IOptions<SidecarOptions> options) : IHostedLifecycleService
{
    private const uint OwnerOnly = 0b000_111_111; // 0077
    private uint? _previousUmask;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            _previousUmask = Umask(OwnerOnly);
        }

        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        SidecarOptionsValidator.TryParseMode(options.Value.SocketMode, out var mode);
        SocketFile.SetMode(options.Value.Socket, mode);
        if (options.Value.SocketGroup is { } group && Chown(options.Value.Socket, uint.MaxValue, group) != 0)
        {
            throw new SocketFileException($"Could not give {options.Value.Socket} group {group} (errno {Marshal.GetLastPInvokeError()}).");
        }

        RestoreUmask();
        return Task.CompletedTask;
    }

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        RestoreUmask();
        if (File.Exists(options.Value.Socket) && !SocketFile.Answers(options.Value.Socket))
        {
            File.Delete(options.Value.Socket);
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void RestoreUmask()
    {
        if (_previousUmask is { } previous)
        {
            Umask(previous);
            _previousUmask = null;
        }
    }

    // uint.MaxValue (-1) leaves the owner as it is.
    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Chown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);
}
