namespace Sidecar.FunctionalTests;

/// <summary>A temporary folder, with a mode when the test is about one, deleted with all it holds on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    private TempFolder(DirectoryInfo info) => Info = info;

    public DirectoryInfo Info { get; }

    public string FullName => Info.FullName;

    /// <summary>Where a daemon's socket goes in this folder.</summary>
    public string Socket => Path.Combine(FullName, "sidecar.sock");

    /// <param name="prefix">The folder name's prefix (it says which test left it, should one be left).</param>
    /// <param name="mode">Octal, as <c>chmod</c> takes it (<c>"1777"</c>); null keeps the default 0700.</param>
    public static TempFolder Create(string prefix, string? mode = null)
    {
        var folder = new TempFolder(Directory.CreateTempSubdirectory(prefix));
        if (mode is not null)
        {
            File.SetUnixFileMode(folder.FullName, Mode(mode));
        }

        return folder;
    }

    public static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

    public void Dispose() => Info.Delete(recursive: true);
}
