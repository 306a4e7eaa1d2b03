using System.Collections.Frozen;
using Sidecar.Configuration;

namespace Sidecar.Keys;

/// <summary>
/// What a key ref says about routing and about how its target is called (docs/design.md, "Routing"):
/// the auth mode, extra headers (resolved values: never logged), model aliases, and whether it is a pool
/// (no target of its own) or internal (not nameable by agents). Pool members and fallbacks are read from
/// the configuration by the router; only what the call to this one target needs lives here.
/// </summary>
/// <param name="auth">How the key is sent.</param>
/// <param name="headers">Extra request headers with their resolved values. Never logged.</param>
/// <param name="headersFingerprint">A keyed hash of the headers and their values; null when there are none.</param>
/// <param name="modelMap">Alias → upstream model; null when none is configured.</param>
/// <param name="isPool">The key ref shares its load over <c>Pool</c> members and has no target of its own.</param>
/// <param name="isInternal">Agents may not name it: it serves as another key ref's member or fallback only.</param>
internal sealed class KeyRouting(
    AuthMode auth,
    IReadOnlyList<KeyValuePair<string, string>> headers,
    string? headersFingerprint,
    FrozenDictionary<string, string>? modelMap,
    bool isPool,
    bool isInternal)
{
    /// <summary>A key ref with none of it: bearer auth, no headers, no aliases.</summary>
    public static readonly KeyRouting Plain = new(AuthMode.Bearer, [], null, null, isPool: false, isInternal: false);

    public AuthMode Auth => auth;

    /// <summary><see cref="Auth"/> as configured (<c>bearer</c>, <c>api-key</c>, <c>none</c>).</summary>
    public string AuthName { get; } = auth switch
    {
        AuthMode.ApiKey => AuthModes.ApiKey,
        AuthMode.None => AuthModes.None,
        _ => AuthModes.Bearer,
    };

    public IReadOnlyList<KeyValuePair<string, string>> Headers => headers;

    public string? HeadersFingerprint => headersFingerprint;

    public FrozenDictionary<string, string>? ModelMap => modelMap;

    public bool IsPool => isPool;

    public bool IsInternal => isInternal;

    /// <summary>The upstream model to call for what the agent asked: its alias's target here, else the name itself.</summary>
    public string ModelFor(string requested) =>
        modelMap is { } map && map.TryGetValue(requested, out var mapped) ? mapped : requested;
}
