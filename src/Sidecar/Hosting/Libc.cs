using System.Runtime.InteropServices;

namespace Sidecar.Hosting;

/// <summary>The few libc calls the socket file needs (source-generated, so AOT-clean).</summary>
internal static partial class Libc
{
    public const int AtEmptyPath = 0x1000;

    // Same values on x86-64 and arm64 (asm-generic/fcntl.h).
    public const int OPath = 0x200000;
    public const int ONoFollow = 0x20000;
    public const int OCloExec = 0x80000;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Statx(int dirFd, string path, int flags, uint mask, ref byte buffer);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "chmod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Chmod(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "fchownat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Fchownat(int dirFd, string path, uint owner, uint group, int flags);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint Geteuid();

    [LibraryImport("libc", EntryPoint = "umask")]
    public static partial uint Umask(uint mask);
}
