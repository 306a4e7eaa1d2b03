using System.Collections.Frozen;
using Sidecar.Configuration;

namespace Sidecar.Keys;

/// <summary>
/// What a key ref says about routing and about how its target is called (docs/design.md, "Routing"):
/// the auth mode, extra headers (resolved values: never logged), model aliases, and whether it is a pool
/// (no target of its own) or internal (not nameable by agents). Pool members and fallbacks are read from
/// the configuration by the router; only what the call to this one target needs lives here.
/// </summary>
internal sealed class KeyRouting
{
    /// <summary>A key ref with none of it: bearer auth, no headers, no aliases.</summary>
    public static readonly KeyRouting Plain = new(AuthMode.Bearer, [], null, null, isPool: false, isInternal: false);

    public KeyRouting(
        AuthMode auth,
        IReadOnlyList<KeyValuePair<string, string>> headers,
        string? headersFingerprint,
        FrozenDictionary<string, string>? modelMap,
        bool isPool,
        bool isInternal)
    {
        Auth = auth;
        Headers = headers;
        HeadersFingerprint = headersFingerprint;
        ModelMap = modelMap;
        IsPool = isPool;
        IsInternal = isInternal;
        AuthName = auth switch
        {
            AuthMode.ApiKey => AuthModes.ApiKey,
            AuthMode.None => AuthModes.None,
            _ => AuthModes.Bearer,
        };
    }

    public AuthMode Auth { get; }

    /// <summary><see cref="Auth"/> as configured (<c>bearer</c>, <c>api-key</c>, <c>none</c>).</summary>
    public string AuthName { get; }

    /// <summary>Extra request headers with their resolved values. Never logged.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>A keyed hash of the headers and their values; null when there are none.</summary>
    public string? HeadersFingerprint { get; }

    /// <summary>Alias → upstream model; null when none is configured.</summary>
    public FrozenDictionary<string, string>? ModelMap { get; }

    /// <summary>The key ref shares its load over <c>Pool</c> members and has no target of its own.</summary>
    public bool IsPool { get; }

    /// <summary>Agents may not name it: it serves as another key ref's member or fallback only.</summary>
    public bool IsInternal { get; }

    /// <summary>The upstream model to call for what the agent asked: its alias's target here, else the name itself.</summary>
    public string ModelFor(string requested) =>
        ModelMap is { } map && map.TryGetValue(requested, out var mapped) ? mapped : requested;
}
