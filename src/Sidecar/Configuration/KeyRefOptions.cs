namespace Sidecar.Configuration;

/// <summary>One configured key reference, <c>Sidecar:Keys:&lt;key_ref&gt;</c>.</summary>
public sealed class KeyRefOptions
{
    /// <summary>Where the secret is: <c>env:NAME</c> or <c>file:/path</c>. A literal key works for development
    /// only and logs a warning at start. Not needed by the <c>echo</c> provider.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The upstream base address (OpenAI-compatible, ending in <c>/v1</c> as a rule).
    /// Default <see cref="SidecarOptions.DefaultEndpoint"/>.</summary>
    public string? Endpoint { get; set; }

    /// <summary><c>openai</c> (default: any OpenAI-compatible upstream) or <c>echo</c> (answers locally).</summary>
    public string Provider { get; set; } = Providers.OpenAI;

    /// <summary>Models callers may ask for with this key reference; empty allows any.</summary>
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
}
