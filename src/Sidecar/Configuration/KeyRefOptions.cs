namespace Sidecar.Configuration;

/// <summary>One configured key reference, <c>Sidecar:Keys:&lt;key_ref&gt;</c>.</summary>
public sealed class KeyRefOptions
{
    /// <summary>Where the secret is: <c>env:NAME</c> or <c>file:/path</c>. A literal key works for development
    /// only and logs a warning at start. Not needed by the <c>echo</c> provider, nor with <c>Auth: none</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The upstream base address (OpenAI-compatible, ending in <c>/v1</c> as a rule).
    /// Default <see cref="SidecarOptions.DefaultEndpoint"/>.</summary>
    public string? Endpoint { get; set; }

    /// <summary><c>openai</c> (default: any OpenAI-compatible upstream) or <c>echo</c> (answers locally).</summary>
    public string Provider { get; set; } = Providers.OpenAI;

    /// <summary>Models callers may ask for with this key reference (the names they send); empty allows any.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>Caller uids (from the socket's peer credentials) allowed to use this key ref. Empty, with
    /// <see cref="AllowedGids"/> empty too: anyone who can open the socket.</summary>
    public List<uint> AllowedUids { get; set; } = [];

    /// <summary>Caller primary gids allowed to use this key ref (see <see cref="AllowedUids"/>).</summary>
    public List<uint> AllowedGids { get; set; } = [];

    /// <summary>This key reference's own limits; an unset value comes from <c>Sidecar:Resilience:Limits</c>.</summary>
    public KeyLimitsOptions? Limits { get; set; }

    /// <summary>Limits shared by every sidecar on the same Redis; needs <c>Sidecar:Redis:Configuration</c>.</summary>
    public SharedLimitsOptions? SharedLimits { get; set; }

    /// <summary>A token budget shared by every sidecar on the same Redis; needs <c>Sidecar:Redis:Configuration</c>.</summary>
    public BudgetOptions? Budget { get; set; }

    /// <summary>The response cache; off unless <see cref="ResponseCacheOptions.Ttl"/> is set.</summary>
    public ResponseCacheOptions? Cache { get; set; }

    /// <summary>How the key is sent: <c>bearer</c> (default, <c>Authorization: Bearer</c>), <c>api-key</c>
    /// (the <c>api-key</c> header, as Azure OpenAI expects) or <c>none</c> (local servers without auth).</summary>
    public string? Auth { get; set; }

    /// <summary>Extra request headers for this target (e.g. <c>OpenAI-Organization</c>); values take
    /// <c>env:NAME</c> / <c>file:/path</c> like <see cref="ApiKey"/> and are never logged.</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The upstream model to call when an agent asks for the alias (the key); unmapped names pass through.</summary>
    public Dictionary<string, string> ModelMap { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Configured key refs that share this key ref's load; a key ref has a pool or a target of its own, not both.</summary>
    public List<string> Pool { get; set; } = [];

    /// <summary>Configured key refs tried in order when this key ref's own attempt fails in a way worth falling back on.</summary>
    public List<string> Fallbacks { get; set; } = [];

    /// <summary>The <c>sidecar.v1.ErrorReason</c> names worth falling back on; empty: the defaults
    /// (<c>UPSTREAM_RATE_LIMITED</c>, <c>UPSTREAM_UNAVAILABLE</c>, <c>CIRCUIT_OPEN</c>, <c>LOCAL_LIMIT</c>).</summary>
    public List<string> FallbackOn { get; set; } = [];

    /// <summary>Agents may not name this key ref (PERMISSION_DENIED <c>KEY_REF_FORBIDDEN</c>); it serves only as
    /// another key ref's pool member or fallback.</summary>
    public bool Internal { get; set; }
}
