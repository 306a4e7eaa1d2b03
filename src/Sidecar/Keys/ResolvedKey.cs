using Sidecar.Configuration;

namespace Sidecar.Keys;

/// <summary>
/// A key reference resolved to what the daemon calls the upstream with. A class and not a record on
/// purpose: a record's generated <c>ToString</c> would print the secret into any log that formats it.
/// </summary>
internal sealed class ResolvedKey(
    string keyRef,
    string provider,
    Uri endpoint,
    string secret,
    string fingerprint,
    IReadOnlySet<string>? models,
    IReadOnlySet<uint>? allowedUids = null,
    IReadOnlySet<uint>? allowedGids = null,
    KeyRouting? routing = null)
{
    private static long s_generations;

    /// <summary>The canonical name (as configured, or the file name in the keys directory).</summary>
    public string KeyRef { get; } = keyRef;

    public string Provider { get; } = provider;

    public Uri Endpoint { get; } = endpoint;

    /// <summary>The key itself. Never logged, returned or put in a metric.</summary>
    public string Secret { get; } = secret;

    /// <summary>A keyed hash of the secret that changes when the secret rotates; reveals nothing about it.</summary>
    public string Fingerprint { get; } = fingerprint;

    /// <summary>Models callers may ask for; null allows any.</summary>
    public IReadOnlySet<string>? Models { get; } = models;

    /// <summary>Caller uids allowed to use this key ref; null when no uid list is configured.</summary>
    public IReadOnlySet<uint>? AllowedUids { get; } = allowedUids;

    /// <summary>Caller primary gids allowed to use this key ref; null when no gid list is configured.</summary>
    public IReadOnlySet<uint>? AllowedGids { get; } = allowedGids;

    /// <summary>How the key is sent, extra headers, model aliases, and whether this key ref is a pool or internal.</summary>
    public KeyRouting Routing { get; } = routing ?? KeyRouting.Plain;

    /// <summary>(key_ref, fingerprint, endpoint, auth, headers' fingerprint): one upstream client exists per distinct value.</summary>
    public string CacheKey { get; } = CacheKeyOf(keyRef, fingerprint, endpoint, routing ?? KeyRouting.Plain);

    /// <summary>Orders resolutions: a larger value was resolved later, so a rotation is never undone by a
    /// call that still holds the key it resolved before it.</summary>
    public long Generation { get; } = Interlocked.Increment(ref s_generations);

    public override string ToString() => $"{KeyRef} ({Provider}, {Endpoint.Authority}, fp {Fingerprint})";

    // Everything that changes the client: the secret, where it goes, how the key is sent, the extra headers.
    private static string CacheKeyOf(string keyRef, string fingerprint, Uri endpoint, KeyRouting routing) =>
        routing.HeadersFingerprint is { } headers
            ? string.Concat(keyRef, "|", fingerprint, "|", endpoint.AbsoluteUri, "|", routing.AuthName, "|", headers)
            : string.Concat(keyRef, "|", fingerprint, "|", endpoint.AbsoluteUri, "|", routing.AuthName);
}
