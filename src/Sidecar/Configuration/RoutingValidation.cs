using Sidecar.V1;

namespace Sidecar.Configuration;

/// <summary>
/// Checks every key ref's routing settings (docs/design.md, "Routing") and reports every problem: the auth
/// mode, extra headers, model aliases, reason names in <c>FallbackOn</c>, pool members and fallbacks that
/// are not configured key refs, a key ref with both a pool and a target of its own, and cycles.
/// </summary>
internal sealed class RoutingValidation : IOptionsValidator
{
    /// <summary>The reasons worth falling back on when a key ref sets no <c>FallbackOn</c>.</summary>
    public static readonly IReadOnlyList<string> DefaultFallbackOn = ["UPSTREAM_RATE_LIMITED", "UPSTREAM_UNAVAILABLE", "CIRCUIT_OPEN", "LOCAL_LIMIT"];

    // Headers the daemon or the HTTP stack owns: the key's own header, framing, and tracing.
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "api-key", "Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Connection",
        "Upgrade", "Expect", "TE", "Trailer", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection", "traceparent", "tracestate",
    };

    // Reasons that routing can never act on: a bad request stays bad on every target, and a stopping
    // daemon must not start new attempts.
    private static readonly HashSet<string> NeverFallBackOn = new(StringComparer.Ordinal)
    {
        "ERROR_REASON_UNSPECIFIED", "INVALID_REQUEST", "SHUTTING_DOWN",
    };

    private static readonly HashSet<string> ReasonNames = ErrorsReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.EnumDescriptor>("ErrorReason").Values.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);

    public void Validate(SidecarOptions options, string prefix, OptionsProblems errors)
    {
        var keys = options.Keys;
        foreach (var (keyRef, key) in keys)
        {
            ValidateKey(errors, $"{prefix}:Keys:{keyRef}", keyRef, key, keys);
        }

        ReportCycles(errors, prefix, keys);
    }

    private static void ValidateKey(OptionsProblems errors, string path, string keyRef, KeyRefOptions key, IReadOnlyDictionary<string, KeyRefOptions> keys)
    {
        if (!AuthModes.TryParse(key.Auth, out _))
        {
            errors.Add($"{path}:Auth must be '{AuthModes.Bearer}', '{AuthModes.ApiKey}' or '{AuthModes.None}' (got '{key.Auth}').");
        }

        foreach (var (name, value) in key.Headers)
        {
            CheckHeader(errors, $"{path}:Headers:{name}", name, value);
        }

        foreach (var (alias, model) in key.ModelMap)
        {
            if (string.IsNullOrWhiteSpace(alias) || string.IsNullOrWhiteSpace(model))
            {
                errors.Add($"{path}:ModelMap:{alias} must map a model name to a model name (neither may be empty).");
            }
        }

        foreach (var reason in key.FallbackOn)
        {
            if (!ReasonNames.Contains(reason ?? string.Empty))
            {
                errors.Add($"{path}:FallbackOn: '{reason}' is not a sidecar.v1.ErrorReason name (such as UPSTREAM_RATE_LIMITED).");
            }
            else if (NeverFallBackOn.Contains(reason!))
            {
                errors.Add($"{path}:FallbackOn: the sidecar never falls back on {reason}.");
            }
        }

        if (key.Pool.Count > 0)
        {
            var own = OwnTarget(key);
            if (own.Count > 0)
            {
                errors.Add($"{path} has both a Pool and a target of its own ({string.Join(", ", own)}): set those on the members.");
            }

            CheckRefs(errors, $"{path}:Pool", keyRef, key.Pool, keys, members: true);
        }

        CheckRefs(errors, $"{path}:Fallbacks", keyRef, key.Fallbacks, keys, members: false);
    }

    /// <summary>The settings that make a target, set on a key ref (an empty list: none).</summary>
    private static List<string> OwnTarget(KeyRefOptions key)
    {
        var own = new List<string>();
        if (!string.IsNullOrEmpty(key.ApiKey))
        {
            own.Add("ApiKey");
        }

        if (!string.IsNullOrEmpty(key.Endpoint))
        {
            own.Add("Endpoint");
        }

        if (!string.IsNullOrEmpty(key.Auth))
        {
            own.Add("Auth");
        }

        if (key.Headers.Count > 0)
        {
            own.Add("Headers");
        }

        if (key.ModelMap.Count > 0)
        {
            own.Add("ModelMap");
        }

        if (key.Limits is not null)
        {
            own.Add("Limits");
        }

        if (!string.Equals(key.Provider?.Trim(), Providers.OpenAI, StringComparison.OrdinalIgnoreCase))
        {
            own.Add("Provider");
        }

        return own;
    }

    private static void CheckRefs(OptionsProblems errors, string path, string keyRef, List<string> names, IReadOnlyDictionary<string, KeyRefOptions> keys, bool members)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                errors.Add($"{path} must not contain empty names.");
                continue;
            }

            if (!seen.Add(name))
            {
                errors.Add($"{path} names '{name}' twice.");
                continue;
            }

            if (!keys.TryGetValue(name, out var target))
            {
                errors.Add($"{path}: '{name}' is not a configured key ref (members and fallbacks must be Sidecar:Keys entries, not keys-directory files).");
            }
            else if (members && target.Pool.Count > 0)
            {
                errors.Add($"{path}: '{name}' is a pool itself; a pool's members are targets (a pool may be a fallback).");
            }
        }
    }

    /// <summary>Every cycle through Pool and Fallbacks, each reported once as the path that closes it.</summary>
    private static void ReportCycles(OptionsProblems errors, string prefix, IReadOnlyDictionary<string, KeyRefOptions> keys)
    {
        var state = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase); // 1 on the path, 2 done
        var path = new List<string>();
        foreach (var start in keys.Keys.Order(StringComparer.Ordinal))
        {
            Visit(start);
        }

        void Visit(string node)
        {
            if (state.TryGetValue(node, out var s))
            {
                if (s == 1)
                {
                    var from = path.FindIndex(p => string.Equals(p, node, StringComparison.OrdinalIgnoreCase));
                    errors.Add($"{prefix}:Keys:{path[from]}: Pool and Fallbacks form a cycle: {string.Join(" → ", path.Skip(from).Append(node))}.");
                }

                return;
            }

            if (!keys.TryGetValue(node, out var key))
            {
                return; // Reported as an unknown name.
            }

            state[node] = 1;
            path.Add(node);
            foreach (var next in key.Pool.Concat(key.Fallbacks).Where(n => !string.IsNullOrWhiteSpace(n)))
            {
                Visit(next);
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
        }
    }

    private static void CheckHeader(OptionsProblems errors, string path, string name, string? value)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Any(c => c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".Contains(c)))
        {
            errors.Add($"{path}: the name must be an HTTP header name.");
        }
        else if (ReservedHeaders.Contains(name.Trim()))
        {
            errors.Add($"{path}: {name.Trim()} is set by the sidecar (Auth decides how the key is sent).");
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{path} must have a value: env:NAME, file:/path or the value itself.");
        }
        else if (SecretSpec.IsFile(value, out var file) && !Path.IsPathFullyQualified(file))
        {
            errors.Add($"{path} file: must name an absolute path.");
        }
        else if (SecretSpec.IsEnv(value, out var variable) && variable.Length == 0)
        {
            errors.Add($"{path} env: must name a variable.");
        }
    }
}
