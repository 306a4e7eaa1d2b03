using System.Net.Sockets;

namespace Sidecar.Hosting;

/// <summary>
/// The Unix socket's file: a stale one (nothing answers on it) is replaced at start, a live one makes
/// the daemon refuse to start, and anything that is not a socket is never touched.
/// </summary>
internal static class SocketFile
{
    /// <summary>Makes the path ready to bind; returns true when a stale socket was removed.</summary>
    public static bool Prepare(string path)
    {
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        if (!File.Exists(path))
        {
            return false;
        }

        if (IsRegularFile(path))
        {
            throw new SocketFileException($"{path} exists and is not a socket; refusing to replace it.");
        }

        if (Answers(path))
        {
            throw new SocketFileException($"Another process is serving on {path}; refusing to start a second daemon on the same socket.");
        }

        File.Delete(path);
        return true;
    }

    public static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
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

    private static bool IsRegularFile(string path)
    {
        // open(2) on a socket fails with ENXIO; on a regular file it succeeds.
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }
}

internal sealed class SocketFileException(string message) : Exception(message);
