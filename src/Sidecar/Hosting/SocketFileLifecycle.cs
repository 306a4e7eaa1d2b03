using Microsoft.Extensions.Options;
using Sidecar.Configuration;

namespace Sidecar.Hosting;

/// <summary>
/// Gives the sockets (gRPC, and the OpenAI-compatible door's) their configured mode with no window in which it is wider: while Kestrel binds,
/// the process umask is 0077 (owner only); once started, the mode is set exactly and the umask
/// restored. The file is removed at stop if anything left it behind.
/// </summary>
internal sealed class SocketFileLifecycle(IOptions<SidecarOptions> options) : IHostedLifecycleService
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
                    s_originalUmask = Libc.Umask(OwnerOnly);
                }

                _narrowed = true;
            }
        }

        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        ListenerOptionsValidator.TryParseMode(options.Value.SocketMode, out var mode);
        try
        {
            foreach (var socket in Sockets())
            {
                SocketFile.ApplyModeAndGroup(socket, mode, options.Value.SocketGroup);
            }
        }
        finally
        {
            RestoreUmask();
        }

        return Task.CompletedTask;
    }

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        RestoreUmask();
        foreach (var socket in Sockets())
        {
            SocketFile.RemoveIfStale(socket);
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The gRPC socket and, when on, the OpenAI-compatible door's: both follow the same rules.</summary>
    private IEnumerable<string> Sockets()
    {
        yield return options.Value.Socket;
        if (options.Value.OpenAI.SocketPath(options.Value.Socket) is { } openAI)
        {
            yield return openAI;
        }
    }

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
                Libc.Umask(s_originalUmask);
            }
        }
    }
}
