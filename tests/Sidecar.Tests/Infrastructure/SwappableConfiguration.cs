using Microsoft.Extensions.Configuration;

namespace Sidecar.Tests;

/// <summary>
/// A configuration whose whole content a test replaces and reloads: the way to take a key ref away, which an
/// in-memory collection cannot do (a key set to null still names its section).
/// </summary>
internal sealed class SwappableConfiguration : ConfigurationProvider, IConfigurationSource
{
    public SwappableConfiguration(Dictionary<string, string?> settings) =>
        Data = new Dictionary<string, string?>(settings, StringComparer.OrdinalIgnoreCase);

    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    public IConfigurationRoot Root() => new ConfigurationBuilder().Add(this).Build();

    /// <summary>Replaces every setting and signals a reload.</summary>
    public void Replace(Dictionary<string, string?> settings)
    {
        Data = new Dictionary<string, string?>(settings, StringComparer.OrdinalIgnoreCase);
        OnReload();
    }
}
