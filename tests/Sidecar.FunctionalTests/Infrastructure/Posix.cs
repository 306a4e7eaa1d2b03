using System.Runtime.InteropServices;

namespace Sidecar.FunctionalTests;

/// <summary>The few file-system calls the tests make that .NET has no API for.</summary>
internal static class Posix
{
    public static void MakeFifo(string path) => Check(MkFifo(path, 0b110_000_000), $"mkfifo {path}");

    public static void ChangeOwner(string path, uint uid, uint gid) => Check(Chown(path, uid, gid), $"chown {path}");

    public static uint EffectiveUid() => Geteuid();

    /// <summary>rename(2): atomically replaces <paramref name="to"/>, a link included, as Kubernetes swaps <c>..data</c>.</summary>
    public static void Rename(string from, string to) => Check(RenameFile(from, to), $"rename {from} {to}");

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            throw new InvalidOperationException($"{what} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo(string path, uint mode);

    [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    private static extern int Chown(string path, uint uid, uint gid);

    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int RenameFile(string from, string to);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint Geteuid();
}
