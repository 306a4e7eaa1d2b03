using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Sidecar.Caching;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.Errors;

namespace Sidecar.Keys;

/// <summary>
/// Maps a key_ref to its secret and endpoint. A resolution is kept for
/// <see cref="SidecarOptions.KeyRefreshInterval"/>, so secrets are not re-read on every request and a
/// rotated file or variable is seen within that interval. At most <c>ClientCache:MaxEntries</c>
/// resolutions are kept (the number of key refs worth a client is the number worth remembering), and a
/// timer drops expired ones whether or not they are asked for again.
/// </summary>
internal sealed class KeyResolver : IDisposable
{

    // Keyed per process: a fingerprint tells two secrets apart without being a stable hash of either.
    private static readonly byte[] FingerprintKey = RandomNumberGenerator.GetBytes(32);

    private readonly LiveOptions _options;
    private readonly ILogger<KeyResolver> _logger;
    private readonly TimeProvider _time;
    private BoundedCache<ResolvedKey> _resolved;

    public KeyResolver(LiveOptions options, TimeProvider time, ILogger<KeyResolver> logger)
    {
        _options = options;
        _logger = logger;
        _time = time;
        _resolved = NewCache(options.Current);

        // A reloaded configuration may move or remove key references: forget what was resolved.
        options.Changed += OnConfigurationChanged;
    }

    /// <summary>Resolves a valid key_ref name, or throws <see cref="SidecarException"/>.</summary>
    public ResolvedKey Resolve(string keyRef)
    {
        var cache = Volatile.Read(ref _resolved);
        if (cache.TryGet(keyRef, out var cached))
        {
            return cached;
        }

        var resolved = ResolveUncached(keyRef, _options.Current);
        cache.Set(keyRef, resolved);
        return resolved;
    }

    /// <summary>How many resolutions are kept now (at most <c>ClientCache:MaxEntries</c>).</summary>
    internal int Count => Volatile.Read(ref _resolved).Count;

    private BoundedCache<ResolvedKey> NewCache(SidecarOptions options) => new(
        _time,
        options.ClientCache.MaxEntries,
        sliding: null,
        absolute: options.KeyRefreshInterval,
        sweepEvery: options.KeyRefreshInterval,
        StringComparer.Ordinal);

    private ResolvedKey ResolveUncached(string keyRef, SidecarOptions options)
    {
        if (options.Keys.TryGetValue(keyRef, out var configured))
        {
            var canonical = options.Keys.Keys.First(k => string.Equals(k, keyRef, StringComparison.OrdinalIgnoreCase));
            return FromConfigured(canonical, configured, options);
        }

        if (options.KeysDirectory is { Length: > 0 } directory && !keyRef.StartsWith('.'))
        {
            // The real path is read, not the link: what was checked is what is read. Kubernetes may swap
            // ..data between the two, so a file gone by then is looked up once more.
            var path = KeysDirectoryEntry.Resolve(directory, keyRef, out var escapes);
            if (path is not null && !File.Exists(path))
            {
                path = KeysDirectoryEntry.Resolve(directory, keyRef, out escapes);
            }

            if (escapes)
            {
                Log.KeysDirectoryEntryOutside(_logger, keyRef);
            }

            if (path is not null && File.Exists(path))
            {
                var secret = Checked(keyRef, ReadSecretFile(keyRef, path));
                return new ResolvedKey(
                    keyRef,
                    Providers.OpenAI,
                    EndpointOf(null, options),
                    secret,
                    Fingerprint(secret),
                    models: null,
                    SetOrNull(options.KeysDirectoryAllowedUids),
                    SetOrNull(options.KeysDirectoryAllowedGids));
            }
        }

        throw SidecarErrors.KeyRefNotFound(keyRef);
    }

    private ResolvedKey FromConfigured(string keyRef, KeyRefOptions configured, SidecarOptions options)
    {
        var provider = configured.Provider.Trim().ToLowerInvariant();
        var endpoint = EndpointOf(configured, options);
        var models = configured.Models.Count == 0 ? null : configured.Models.ToFrozenSet(StringComparer.Ordinal);
        AuthModes.TryParse(configured.Auth, out var auth);
        var isPool = configured.Pool.Count > 0;

        // A pool has no target of its own, and Auth: none sends no key: neither has a secret to read.
        var secret = isPool || auth == AuthMode.None || (provider == Providers.Echo && string.IsNullOrEmpty(configured.ApiKey))
            ? string.Empty
            : Checked(keyRef, ReadConfiguredSecret(keyRef, configured.ApiKey ?? string.Empty));
        return new ResolvedKey(
            keyRef,
            provider,
            endpoint,
            secret,
            Fingerprint(secret),
            models,
            SetOrNull(configured.AllowedUids),
            SetOrNull(configured.AllowedGids),
            Routing(keyRef, configured, auth, isPool));
    }

    /// <summary>The key ref's routing settings, with its extra headers' values read like secrets (and checked the same way).</summary>
    private KeyRouting Routing(string keyRef, KeyRefOptions configured, AuthMode auth, bool isPool)
    {
        if (auth == AuthMode.Bearer && configured.Headers.Count == 0 && configured.ModelMap.Count == 0 && !isPool && !configured.Internal)
        {
            return KeyRouting.Plain;
        }

        var headers = new List<KeyValuePair<string, string>>(configured.Headers.Count);
        foreach (var (name, spec) in configured.Headers.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            headers.Add(new(name.Trim(), Checked(keyRef, ReadConfiguredSecret(keyRef, spec))));
        }

        var fingerprint = headers.Count == 0 ? null : Fingerprint(string.Join("\n", headers.Select(h => $"{h.Key.ToLowerInvariant()}:{h.Value}")));
        var modelMap = configured.ModelMap.Count == 0 ? null : configured.ModelMap.ToFrozenDictionary(m => m.Key, m => m.Value.Trim(), StringComparer.Ordinal);
        return new KeyRouting(auth, headers, fingerprint, modelMap, isPool, configured.Internal);
    }

    private string ReadConfiguredSecret(string keyRef, string spec)
    {
        if (SecretSpec.IsEnv(spec, out var name))
        {
            var value = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrWhiteSpace(value))
            {
                Log.SecretUnavailable(_logger, keyRef, $"environment variable {name} is not set");
                throw SidecarErrors.KeyUnavailable(keyRef);
            }

            return value;
        }

        if (SecretSpec.IsFile(spec, out var path))
        {
            return ReadSecretFile(keyRef, path);
        }

        return spec; // A literal, for development; the start-up report warns about it.
    }

    private string ReadSecretFile(string keyRef, string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.SecretUnavailable(_logger, keyRef, $"{path}: {ex.GetType().Name}");
            throw SidecarErrors.KeyUnavailable(keyRef);
        }

        if (Normalize(text).Length == 0)
        {
            Log.SecretUnavailable(_logger, keyRef, $"{path} is empty");
            throw SidecarErrors.KeyUnavailable(keyRef);
        }

        return text;
    }

    /// <summary>
    /// The key as it goes into the Authorization header, or <c>KEY_UNAVAILABLE</c>. Surrounding
    /// whitespace and a leading byte-order mark are editing artefacts and are dropped. Any other character
    /// outside printable ASCII is refused here: a CR or LF would inject headers and desynchronise the
    /// pooled connection other key refs share, and a non-ASCII character makes the HTTP stack fail the
    /// request in a way that looks like a connection failure. The log names the key_ref, never the content.
    /// </summary>
    private string Checked(string keyRef, string secret)
    {
        var key = Normalize(secret);
        if (key.Length == 0)
        {
            Log.SecretUnavailable(_logger, keyRef, "the key is empty");
            throw SidecarErrors.KeyUnavailable(keyRef);
        }

        var bad = key.AsSpan().IndexOfAnyExceptInRange(' ', '~');
        if (bad >= 0)
        {
            var kind = char.IsControl(key[bad]) ? "a control character" : "a non-ASCII character";
            Log.SecretUnavailable(_logger, keyRef, $"the key holds {kind} (U+{(int)key[bad]:X4}); only printable ASCII is sent upstream");
            throw SidecarErrors.KeyUnavailable(keyRef);
        }

        return key;
    }

    internal static string Normalize(string secret)
    {
        var key = secret.Trim();
        return key.StartsWith('\uFEFF') ? key[1..].Trim() : key;
    }

    /// <summary>
    /// Every endpoint a key ref of <paramref name="options"/> can resolve to: each configured key ref's, and the
    /// default endpoint (key refs without one of their own, and every key in the keys directory). Endpoints
    /// come from nowhere else, so state kept per endpoint can be bounded by this list.
    /// </summary>
    internal static IEnumerable<Uri> Endpoints(SidecarOptions options) =>
        options.Keys.Values.Where(k => k.Endpoint is not null).Select(k => EndpointOf(k, options)).Prepend(EndpointOf(null, options));

    /// <summary>A key ref's endpoint: its own, else the default (a keys-directory entry has no settings of its own).</summary>
    private static Uri EndpointOf(KeyRefOptions? configured, SidecarOptions options) => new(configured?.Endpoint ?? options.DefaultEndpoint);

    private static IReadOnlySet<uint>? SetOrNull(List<uint> values) => values.Count == 0 ? null : values.ToFrozenSet();

    // A reloaded configuration may move or remove key references, or change the refresh interval:
    // forget what was resolved.
    private void OnConfigurationChanged(SidecarOptions options) => Interlocked.Exchange(ref _resolved, NewCache(options)).Dispose();

    internal static string Fingerprint(string secret)
    {
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(FingerprintKey, Encoding.UTF8.GetBytes(secret), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }

    public void Dispose()
    {
        _options.Changed -= OnConfigurationChanged;
        _resolved.Dispose();
    }
}
