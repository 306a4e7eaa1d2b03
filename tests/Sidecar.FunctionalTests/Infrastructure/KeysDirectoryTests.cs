using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// Tests of a daemon whose keys come from a directory (<see cref="KeysFolder"/>), read again every 10 s of a fake
/// clock (<see cref="Clock"/>), with the fake upstream as their default endpoint. Key files a test starts with are
/// written in <see cref="InitializeAsync"/> before the daemon reads them; rotating one to <c>sk-rotating-two</c> is
/// covered by the log check.
/// </summary>
public abstract class KeysDirectoryTests : DaemonTests
{
    protected FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected DirectoryInfo KeysFolder { get; } = Directory.CreateTempSubdirectory("sidecar-keysdir-");

    /// <summary>The key files present when the daemon starts: name → content.</summary>
    protected abstract Dictionary<string, string> KeyFiles { get; }

    /// <summary>Settings beyond the keys directory's.</summary>
    protected abstract Dictionary<string, string> MoreSettings();

    protected override Dictionary<string, string> Settings()
    {
        var settings = new Dictionary<string, string>
        {
            ["Sidecar:KeysDirectory"] = KeysFolder.FullName,
            ["Sidecar:DefaultEndpoint"] = Upstream.Endpoint.ToString(),
            ["Sidecar:KeyRefreshInterval"] = "00:00:10",
        };
        foreach (var (name, value) in MoreSettings())
        {
            settings[name] = value;
        }

        return settings;
    }

    protected override void Configure(WebApplicationBuilder builder) => builder.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock));

    public override async Task InitializeAsync()
    {
        foreach (var (name, content) in KeyFiles)
        {
            await File.WriteAllTextAsync(Path.Combine(KeysFolder.FullName, name), content);
        }

        await base.InitializeAsync();
        foreach (var secret in KeyFiles.Values.Append("sk-rotating-two"))
        {
            Daemon.AddSecret(secret.Trim());
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        KeysFolder.Delete(recursive: true);
    }
}
