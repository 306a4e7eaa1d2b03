using Microsoft.Extensions.Options;

namespace Sidecar.Tests;

/// <summary>Options for unit tests: defaults unless a test changes them.</summary>
internal static class TestOptions
{
    public static SidecarOptions Create(Action<SidecarOptions>? change = null)
    {
        var options = new SidecarOptions();
        change?.Invoke(options);
        return options;
    }

    public static IOptions<SidecarOptions> Wrap(SidecarOptions options) => Options.Create(options);

    public static LiveOptions Live(SidecarOptions options) => new(options);
}
