using System.Net.Sockets;
using System.Runtime.InteropServices;
using Sidecar.Configuration;

namespace Sidecar.Hosting;

/// <summary>
/// The Unix socket's file: a stale one (nothing answers on it) is replaced at start, a live one makes
/// the daemon refuse to start, and anything that is not a socket is never touched (a link is never
/// followed). The socket's folder must be one nobody else can change: whoever can rename or replace
/// the socket can impersonate the daemon to every agent, or turn our chmod and chown on a file of theirs.
/// </summary>
internal static class SocketFile
{
    private const UnixFileMode CreatedFolderMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>Makes the path ready to bind; returns true when a stale socket was removed.</summary>
    /// <exception cref="InvalidConfigurationException">The folder is writable by someone other than the daemon's user or root.</exception>
    /// <exception cref="SocketFileException">Something other than a stale socket is at the path.</exception>
    public static bool Prepare(string path, bool allowWritableFolder = false)
    {
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            // Agents need to search the folder to reach the socket; only the daemon may write it.
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, CreatedFolderMode);
            }
        }

        if (!OperatingSystem.IsLinux())
        {
            return PrepareWithoutStatx(path);
        }

        if (!string.IsNullOrEmpty(directory) && !allowWritableFolder)
        {
            CheckFolder(directory);
        }

        if (FileStatus.OfPath(path) is not { } existing)
        {
            return false;
        }

        if (existing.Type != FileStatus.Socket)
        {
            throw new SocketFileException($"{path} exists and is a {existing.Kind}, not a socket; refusing to replace it.");
        }

        if (Answers(path))
        {
            throw new SocketFileException($"Another process is serving on {path}; refusing to start a second daemon on the same socket.");
        }

        File.Delete(path);
        return true;
    }

    /// <summary>
    /// Gives the socket the daemon bound its mode and group. The file at the path is opened without
    /// following a link and checked to be a socket owned by the daemon's user (nobody else can make one)
    /// before anything changes; mode and group are then applied to that very inode, never to whatever
    /// the path names a moment later.
    /// </summary>
    public static void ApplyModeAndGroup(string path, UnixFileMode mode, uint? group)
    {
        if (!OperatingSystem.IsLinux())
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, mode);
            }

            return;
        }

        var fd = Libc.Open(path, Libc.OPath | Libc.ONoFollow | Libc.OCloExec);
        if (fd < 0)
        {
            throw new SocketFileException($"Could not open {path} to set its mode (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            var status = FileStatus.OfDescriptor(fd);
            var uid = Libc.Geteuid();
            if (status.Type != FileStatus.Socket || status.Uid != uid)
            {
                throw new SocketFileException(
                    $"{path} is no longer the socket this daemon bound (found a {status.Kind} owned by uid {status.Uid}); " +
                    "someone replaced it. Refusing to change its mode or owner.");
            }

            // chmod through /proc/self/fd reaches the inode the descriptor holds, not the path.
            if (Libc.Chmod($"/proc/self/fd/{fd}", (uint)mode) != 0)
            {
                throw new SocketFileException($"Could not set the mode of {path} (errno {Marshal.GetLastPInvokeError()}).");
            }

            // uint.MaxValue (-1) leaves the owner as it is.
            if (group is { } gid && Libc.Fchownat(fd, string.Empty, uint.MaxValue, gid, Libc.AtEmptyPath) != 0)
            {
                throw new SocketFileException($"Could not give {path} group {gid} (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>At stop: removes the socket if nothing answers on it any more; anything else at the path stays.</summary>
    public static void RemoveIfStale(string path)
    {
        var isSocket = OperatingSystem.IsLinux()
            ? FileStatus.OfPath(path) is { Type: FileStatus.Socket }
            : File.Exists(path);
        if (isSocket && !Answers(path))
        {
            File.Delete(path);
        }
    }

    public static bool Answers(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// The folder must be writable by nobody but the daemon's user and root, or be sticky (then others
    /// cannot remove or rename our socket) and owned by one of those two, as <c>/tmp</c> is.
    /// </summary>
    private static void CheckFolder(string directory)
    {
        // The folder's own status (stat follows a link here: /var/run is one on most systems).
        var folder = FileStatus.OfPath(Path.GetFullPath(directory).TrimEnd('/') + "/.")
            ?? throw new SocketFileException($"The socket's folder {directory} does not exist.");
        var uid = Libc.Geteuid();
        var ours = folder.Uid == uid || folder.Uid == 0;
        var mode = (UnixFileMode)folder.Permissions;
        var writableByOthers = (mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0;
        var sticky = (mode & UnixFileMode.StickyBit) != 0;
        if (!ours || (writableByOthers && !sticky))
        {
            var who = ours ? "others can write it and it is not sticky" : $"it belongs to uid {folder.Uid}, neither the daemon's user ({uid}) nor root";
            throw new InvalidConfigurationException(
            [
                $"Sidecar:Socket: the folder {directory} (mode {folder.Octal}, owner uid {folder.Uid}) is unsafe: {who}, so another user could " +
                "replace the socket and receive the agents' calls. Use a folder only the daemon's user or root can write " +
                "(e.g. mode 0755), or a sticky one (mode 1777) owned by either; or, if nobody else can write it in practice " +
                "(a Kubernetes emptyDir only the sidecar mounts writable), set Sidecar:AllowWritableSocketFolder=true.",
            ]);
        }
    }

    /// <summary>Elsewhere (development only) a file's type cannot be told without following it: anything at the path is kept.</summary>
    private static bool PrepareWithoutStatx(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists && info.LinkTarget is null)
        {
            return false;
        }

        throw Answers(path)
            ? new SocketFileException($"Another process is serving on {path}; refusing to start a second daemon on the same socket.")
            : new SocketFileException($"{path} exists; remove it if it is a stale socket.");
    }
}
