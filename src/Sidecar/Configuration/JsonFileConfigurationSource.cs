using Microsoft.Extensions.FileProviders;

namespace Sidecar.Configuration;

/// <summary>
/// A JSON settings file (<c>--config FILE</c>, <c>appsettings.json</c>) whose reloads never lose settings:
/// see <see cref="JsonFileConfigurationProvider"/>.
/// </summary>
internal sealed class JsonFileConfigurationSource(string path, bool optional, bool reloadOnChange) : IConfigurationSource
{
    public string Path { get; } = path;

    public bool Optional { get; } = optional;

    public bool ReloadOnChange { get; } = reloadOnChange;

    /// <summary>The stock source's file, when it names one on the physical file system.</summary>
    public static JsonFileConfigurationSource? Replacing(Microsoft.Extensions.Configuration.Json.JsonConfigurationSource stock)
    {
        var root = (stock.FileProvider as PhysicalFileProvider)?.Root;
        return root is null || string.IsNullOrEmpty(stock.Path)
            ? null
            : new JsonFileConfigurationSource(System.IO.Path.Combine(root, stock.Path), stock.Optional, stock.ReloadOnChange);
    }

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new JsonFileConfigurationProvider(this);
}
