using System.Runtime.CompilerServices;

namespace Sidecar.Configuration;

/// <summary>
/// One setting read at start only: its configuration path and its value in bound options. The path is
/// taken from the accessor's own text (<c>o =&gt; o.Upstream.ConnectTimeout</c> is
/// <c>Sidecar:Upstream:ConnectTimeout</c>), because the configuration binder gives each property the key
/// of its own name: written once, the name cannot drift from the property it stands for.
/// </summary>
internal sealed class StartOnlySetting
{
    private const string Section = "Sidecar";

    public StartOnlySetting(Func<SidecarOptions, object?> value, [CallerArgumentExpression(nameof(value))] string accessor = "")
        : this(PathOf(accessor), value)
    {
    }

    private StartOnlySetting(string name, Func<SidecarOptions, object?> value)
    {
        Name = name;
        Value = value;
    }

    /// <summary>The configuration path, as an operator writes it.</summary>
    public string Name { get; }

    public Func<SidecarOptions, object?> Value { get; }

    /// <summary>A setting named for a whole section (<c>Sidecar:Redis</c>), whose value combines its parts.</summary>
    public static StartOnlySetting Whole(string section, Func<SidecarOptions, object?> value) => new($"{Section}:{section}", value);

    private static string PathOf(string accessor)
    {
        var arrow = accessor.IndexOf("=>", StringComparison.Ordinal);
        var body = arrow < 0 ? string.Empty : accessor[(arrow + 2)..].Trim();
        var members = body.IndexOf('.') is var dot and >= 0 ? body[(dot + 1)..] : string.Empty;
        if (members.Length == 0 || !members.All(c => char.IsAsciiLetterOrDigit(c) || c == '.'))
        {
            throw new ArgumentException($"'{accessor}' is not a property path such as o => o.Upstream.ConnectTimeout", nameof(accessor));
        }

        return $"{Section}:{members.Replace('.', ':')}";
    }
}
