using System.Runtime.InteropServices;

namespace Sidecar.FunctionalTests;

/// <summary>The few file-system calls the tests make that .NET has no API for.</summary>
internal static class Posix
{
    public static void MakeFifo(string path) => Check(MkFifo(path, 0b110_000_000), $"mkfifo {path}");

    public static void ChangeOwner(string path, uint uid, uint gid) => Check(Chown(path, uid, gid), $"chown {path}");

    public static uint EffectiveUid() => Geteuid();

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

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint Geteuid();
}
