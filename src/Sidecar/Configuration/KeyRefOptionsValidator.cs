namespace Sidecar.Configuration;

/// <summary>The key references, the keys directory and the default endpoint (docs/design.md, "Key references").</summary>
internal sealed class KeyRefOptionsValidator : IOptionsValidator
{
    public void Validate(SidecarOptions options, string p, OptionsProblems problems)
    {
        problems.HttpUri($"{p}:DefaultEndpoint", options.DefaultEndpoint);
        if (options.KeysDirectory is { Length: > 0 } dir && !Path.IsPathFullyQualified(dir))
        {
            problems.Add($"{p}:KeysDirectory must be an absolute path (got '{dir}').");
        }

        problems.Positive($"{p}:KeyRefreshInterval", options.KeyRefreshInterval);
        foreach (var (keyRef, key) in options.Keys)
        {
            ValidateKey(problems, $"{p}:Keys:{keyRef}", keyRef, key);
        }
    }

    private static void ValidateKey(OptionsProblems problems, string path, string keyRef, KeyRefOptions key)
    {
        if (!KeyRefName.IsValid(keyRef))
        {
            problems.Add($"{path}: the name must match {KeyRefName.Pattern}.");
        }

        var provider = key.Provider?.Trim().ToLowerInvariant();
        if (provider is not (Providers.OpenAI or Providers.Echo))
        {
            problems.Add($"{path}:Provider must be '{Providers.OpenAI}' or '{Providers.Echo}' (got '{key.Provider}').");
        }

        // A pool has no target of its own, and Auth: none sends no key (docs/design.md, "Routing").
        if (provider == Providers.OpenAI && key.Pool.Count == 0 && !(AuthModes.TryParse(key.Auth, out var auth) && auth == AuthMode.None))
        {
            if (string.IsNullOrWhiteSpace(key.ApiKey))
            {
                problems.Add($"{path}:ApiKey is required: env:NAME or file:/path.");
            }
            else if (SecretSpec.IsFile(key.ApiKey, out var file) && !Path.IsPathFullyQualified(file))
            {
                problems.Add($"{path}:ApiKey file: must name an absolute path.");
            }
            else if (SecretSpec.IsEnv(key.ApiKey, out var name) && name.Length == 0)
            {
                problems.Add($"{path}:ApiKey env: must name a variable.");
            }
        }

        if (key.Endpoint is not null)
        {
            problems.HttpUri($"{path}:Endpoint", key.Endpoint);
        }

        if (key.Models.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add($"{path}:Models must not contain empty names.");
        }
    }
}
