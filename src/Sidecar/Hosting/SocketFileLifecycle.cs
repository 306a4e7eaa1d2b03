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

    // The umask belongs to the process; hosts starting side by side (tests) share one narrowing:
    // the first to start saves the original, the last to finish starting restores it.
    private static readonly Lock UmaskLock = new();
    private static int s_starting;
    private static uint s_originalUmask;
    private bool _narrowed;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            lock (UmaskLock)
            {
                if (s_starting++ == 0)
                {
                    s_originalUmask = Umask(OwnerOnly);
                }

                _narrowed = true;
            }
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
        lock (UmaskLock)
        {
            if (!_narrowed)
            {
                return;
            }

            _narrowed = false;
            if (--s_starting == 0)
            {
                Umask(s_originalUmask);
            }
        }
    }

    // uint.MaxValue (-1) leaves the owner as it is.
    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Chown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);
}
