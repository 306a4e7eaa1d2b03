using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Sidecar.Tests;

/// <summary>
/// Live options over an in-memory configuration, read and validated the one way the daemon reads them,
/// that a test changes and reloads (<c>using static Sidecar.Tests.Reloads;</c>).
/// </summary>
internal static class Reloads
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static IConfigurationRoot Settings(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    public static LiveOptions Live(IConfigurationRoot configuration, ILogger<LiveOptions>? logger = null)
    {
        var validator = new SidecarOptionsValidator();
        return new LiveOptions(configuration, Options.Create(LiveOptions.Read(configuration, validator)), validator, logger ?? NullLogger<LiveOptions>.Instance);
    }

    /// <summary>Writes the changes and waits until the live options have taken or refused them.</summary>
    public static async Task ReloadAsync(IConfigurationRoot configuration, LiveOptions live, params (string Name, string Value)[] changes)
    {
        var reload = live.NextReload;
        foreach (var (name, value) in changes)
        {
            configuration[name] = value;
        }

        configuration.Reload();
        await reload.WaitAsync(Timeout);
    }
}
