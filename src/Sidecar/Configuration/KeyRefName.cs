using System.Text.RegularExpressions;

namespace Sidecar.Configuration;

/// <summary>
/// The shape of a key reference name. No path separators and no leading dot, so a name can never
/// reach outside the keys directory nor name Kubernetes' <c>..data</c> bookkeeping entries.
/// </summary>
internal static partial class KeyRefName
{
    public const string Pattern = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}";

    public static bool IsValid(string? name) => name is not null && ValidName().IsMatch(name);

    // \z, not $: $ also matches before a final newline, so "team-a\n" passed and was looked up.
    [GeneratedRegex("^" + Pattern + @"\z", RegexOptions.CultureInvariant)]
    private static partial Regex ValidName();
}
