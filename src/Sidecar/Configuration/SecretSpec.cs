namespace Sidecar.Configuration;

/// <summary>
/// How <see cref="KeyRefOptions.ApiKey"/> says where a secret is: <c>env:NAME</c>, <c>file:/path</c>,
/// or anything else as the literal key (development only). Read here for the validator, the key
/// resolver and the start-up report alike.
/// </summary>
internal static class SecretSpec
{
    public const string EnvPrefix = "env:";
    public const string FilePrefix = "file:";

    /// <summary>The environment variable's name, when the spec is <c>env:NAME</c> (possibly empty).</summary>
    public static bool IsEnv(string spec, out string name) => Strip(spec, EnvPrefix, out name);

    /// <summary>The file's path, when the spec is <c>file:/path</c> (possibly empty or relative).</summary>
    public static bool IsFile(string spec, out string path) => Strip(spec, FilePrefix, out path);

    /// <summary>The spec is the key itself, not where to find it.</summary>
    public static bool IsLiteral(string spec) => spec.Length > 0 && !IsEnv(spec, out _) && !IsFile(spec, out _);

    private static bool Strip(string spec, string prefix, out string rest)
    {
        var has = spec.StartsWith(prefix, StringComparison.Ordinal);
        rest = has ? spec[prefix.Length..] : string.Empty;
        return has;
    }
}
