using System.Runtime.InteropServices;

namespace Sidecar.Keys;

/// <summary>
/// Finds the file behind a keys-directory entry. Links are followed (Kubernetes lays a Secret volume out
/// as <c>name → ..data/name</c>, <c>..data → ..2026_…</c>), but only to a file whose real path is inside the
/// directory: a link out of it (say, to another key ref's restricted file) is no key ref.
/// </summary>
internal static partial class KeysDirectoryEntry
{
    /// <summary>The real path of the entry; null when there is none or it lies outside the directory.</summary>
    /// <param name="escapes">True when the entry exists but resolves outside the directory.</param>
    public static string? Resolve(string directory, string keyRef, out bool escapes)
    {
        escapes = false;
        if (RealPath(directory) is not { } realDirectory || RealPath(Path.Join(directory, keyRef)) is not { } realFile)
        {
            return null;
        }

        var inside = realFile.StartsWith(realDirectory.EndsWith('/') ? realDirectory : realDirectory + "/", StringComparison.Ordinal);
        if (!inside)
        {
            escapes = true;
            return null;
        }

        return realFile;
    }

    private static string? RealPath(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return File.Exists(path) || Directory.Exists(path) ? Path.GetFullPath(path) : null;
        }

        var resolved = Realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr Realpath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);
}
