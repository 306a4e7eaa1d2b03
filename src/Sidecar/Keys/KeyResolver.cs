using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Sidecar.Clients;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.Errors;

namespace Sidecar.Keys;

/// <summary>
/// Maps a key_ref to its secret and endpoint. A resolution is kept for
/// <see cref="SidecarOptions.KeyRefreshInterval"/>, so secrets are not re-read on every request and a
/// rotated file or variable is seen within that interval.
/// </summary>
internal sealed class KeyResolver : IDisposable
{
    private const string EnvPrefix = "env:";
    private const string FilePrefix = "file:";

    // Keyed per process: a fingerprint tells two secrets apart without being a stable hash of either.
    private static readonly byte[] FingerprintKey = RandomNumberGenerator.GetBytes(32);

    private readonly LiveOptions _options;
    private readonly ILogger<KeyResolver> _logger;
    private readonly MemoryCache _resolved;

    public KeyResolver(LiveOptions options, TimeProvider time, ILogger<KeyResolver> logger)
    {
        _options = options;
        _logger = logger;
        var current = options.Current;
        _resolved = new MemoryCache(new MemoryCacheOptions
        {
            Clock = new TimeProviderClock(time),
            SizeLimit = current.ClientCache.MaxEntries,
            ExpirationScanFrequency = current.KeyRefreshInterval,
        });

        // A reloaded configuration may move or remove key references: forget what was resolved.
        options.Changed += OnConfigurationChanged;
    }

    /// <summary>Resolves a valid key_ref name, or throws <see cref="SidecarException"/>.</summary>
    public ResolvedKey Resolve(string keyRef)
    {
        if (_resolved.TryGetValue(keyRef, out ResolvedKey? cached))
        {
            return cached!;
        }

        var options = _options.Current;
        var resolved = ResolveUncached(keyRef, options);
        using (var entry = _resolved.CreateEntry(keyRef))
        {
            entry.Value = resolved;
            entry.Size = 1;
            entry.AbsoluteExpirationRelativeToNow = options.KeyRefreshInterval;
        }

        return resolved;
    }

    private ResolvedKey ResolveUncached(string keyRef, SidecarOptions options)
    {
        if (options.Keys.TryGetValue(keyRef, out var configured))
        {
            var canonical = options.Keys.Keys.First(k => string.Equals(k, keyRef, StringComparison.OrdinalIgnoreCase));
            return FromConfigured(canonical, configured, options);
        }

        if (options.KeysDirectory is { Length: > 0 } directory && !keyRef.StartsWith('.'))
        {
            var path = Path.Join(directory, keyRef);
            if (File.Exists(path))
            {
                var secret = ReadSecretFile(keyRef, path);
                return new ResolvedKey(
                    keyRef,
                    Providers.OpenAI,
                    new Uri(options.DefaultEndpoint),
                    secret,
                    Fingerprint(secret),
                    models: null,
                    SetOrNull(options.KeysDirectoryAllowedUids),
                    SetOrNull(options.KeysDirectoryAllowedGids));
            }
        }

        throw new SidecarException(
            SidecarError.KeyRefNotFound,
            $"key_ref '{keyRef}' is not configured.",
            metadata: new Dictionary<string, string> { ["key_ref"] = keyRef });
    }

    private ResolvedKey FromConfigured(string keyRef, KeyRefOptions configured, SidecarOptions options)
    {
        var provider = configured.Provider.Trim().ToLowerInvariant();
        var endpoint = new Uri(configured.Endpoint ?? options.DefaultEndpoint);
        var models = configured.Models.Count == 0 ? null : configured.Models.ToFrozenSet(StringComparer.Ordinal);
        var secret = provider == Providers.Echo && string.IsNullOrEmpty(configured.ApiKey)
            ? string.Empty
            : ReadConfiguredSecret(keyRef, configured.ApiKey ?? string.Empty);
        return new ResolvedKey(
            keyRef,
            provider,
            endpoint,
            secret,
            Fingerprint(secret),
            models,
            SetOrNull(configured.AllowedUids),
            SetOrNull(configured.AllowedGids));
    }

    private string ReadConfiguredSecret(string keyRef, string spec)
    {
        if (spec.StartsWith(EnvPrefix, StringComparison.Ordinal))
        {
            var name = spec[EnvPrefix.Length..];
            var value = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrWhiteSpace(value))
            {
                Log.SecretUnavailable(_logger, keyRef, $"environment variable {name} is not set");
                throw Unavailable(keyRef);
            }

            return value.Trim();
        }

        if (spec.StartsWith(FilePrefix, StringComparison.Ordinal))
        {
            return ReadSecretFile(keyRef, spec[FilePrefix.Length..]);
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
            throw Unavailable(keyRef);
        }

        // Secret volumes and editors often leave a trailing newline.
        text = text.Trim();
        if (text.Length == 0)
        {
            Log.SecretUnavailable(_logger, keyRef, $"{path} is empty");
            throw Unavailable(keyRef);
        }

        return text;
    }

    private static IReadOnlySet<uint>? SetOrNull(List<uint> values) => values.Count == 0 ? null : values.ToFrozenSet();

    private void OnConfigurationChanged(SidecarOptions options) => _resolved.Compact(1.0);

    internal static string Fingerprint(string secret)
    {
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(FingerprintKey, Encoding.UTF8.GetBytes(secret), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }

    private static SidecarException Unavailable(string keyRef) => new(
        SidecarError.KeyUnavailable,
        $"The secret of key_ref '{keyRef}' cannot be read right now; the daemon's log says why.",
        metadata: new Dictionary<string, string> { ["key_ref"] = keyRef });

    public void Dispose()
    {
        _options.Changed -= OnConfigurationChanged;
        _resolved.Dispose();
    }
}
