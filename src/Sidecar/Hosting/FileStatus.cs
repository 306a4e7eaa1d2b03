using System.Runtime.InteropServices;

namespace Sidecar.Hosting;

/// <summary>
/// What the kernel says about one file, read with <c>statx(2)</c> without following a link: its type,
/// mode bits, owner and identity. statx is used because its layout is the same on every Linux
/// architecture, where <c>struct stat</c> is not.
/// </summary>
internal readonly record struct FileStatus(uint Type, uint Permissions, uint Uid, uint Gid, ulong Device, ulong Inode)
{
    public const uint Socket = 0xC000;
    public const uint SymbolicLink = 0xA000;
    public const uint Regular = 0x8000;
    public const uint Directory = 0x4000;
    public const uint Fifo = 0x1000;

    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7FF;
    private const int ENOENT = 2;

    public string Kind => Type switch
    {
        Socket => "socket",
        SymbolicLink => "symbolic link",
        Regular => "regular file",
        Directory => "directory",
        Fifo => "FIFO",
        _ => $"file of type 0{Convert.ToString(Type >> 12, 8)}",
    };

    /// <summary>Mode bits as an operator reads them, e.g. <c>1777</c>.</summary>
    public string Octal => Convert.ToString(Permissions, 8).PadLeft(4, '0');

    /// <summary>The file at <paramref name="path"/> itself (a link is not followed); null when nothing is there.</summary>
    public static FileStatus? OfPath(string path) => Read(AtFdCwd, path, AtSymlinkNoFollow);

    /// <summary>The file an open descriptor (an <c>O_PATH</c> one included) refers to.</summary>
    public static FileStatus OfDescriptor(int fd) =>
        Read(fd, string.Empty, AtEmptyPath) ?? throw new IOException($"statx on descriptor {fd}: no such file.");

    private static FileStatus? Read(int dirFd, string path, int flags)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (Libc.Statx(dirFd, path, flags, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == ENOENT ? null : throw new IOException($"statx({path}) failed: errno {errno}.");
        }

        // struct statx (native byte order): uid at 20, gid at 24, mode (16 bits) at 28, ino at 32,
        // dev major/minor at 136/140.
        var mode = MemoryMarshal.Read<ushort>(buffer[28..]);
        var device = ((ulong)MemoryMarshal.Read<uint>(buffer[136..]) << 32) | MemoryMarshal.Read<uint>(buffer[140..]);
        return new FileStatus(
            mode & 0xF000u,
            mode & 0xFFFu,
            MemoryMarshal.Read<uint>(buffer[20..]),
            MemoryMarshal.Read<uint>(buffer[24..]),
            device,
            MemoryMarshal.Read<ulong>(buffer[32..]));
    }
}
