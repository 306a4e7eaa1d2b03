using Microsoft.Extensions.Options;
using Sidecar.Keys;
using Sidecar.Resilience;

namespace Sidecar.Configuration;

/// <summary>Checks the whole configuration at start and reports every problem at once.</summary>
internal sealed class SidecarOptionsValidator : IValidateOptions<SidecarOptions>
{
    public ValidateOptionsResult Validate(string? name, SidecarOptions options)
    {
        var errors = new List<string>();
        var p = SidecarOptions.SectionName;

        if (string.IsNullOrWhiteSpace(options.Socket))
        {
            errors.Add($"{p}:Socket must name a socket path.");
        }
        else if (!Path.IsPathFullyQualified(options.Socket))
        {
            errors.Add($"{p}:Socket must be an absolute path (got '{options.Socket}').");
        }

        if (!TryParseMode(options.SocketMode, out _))
        {
            errors.Add($"{p}:SocketMode must be an octal file mode such as 0660 (got '{options.SocketMode}').");
        }

        CheckPort(errors, $"{p}:HealthPort", options.HealthPort);
        CheckPort(errors, $"{p}:HttpPort", options.HttpPort);
        if (options.HealthPort != 0 && options.HealthPort == options.HttpPort)
        {
            errors.Add($"{p}:HealthPort and {p}:HttpPort must differ (a cleartext port speaks HTTP/2 or HTTP/1.1, not both).");
        }

        CheckOpenAIHttp(errors, p, options);

        if (options.PortMaxConnections is < 1 or > 10_000)
        {
            errors.Add($"{p}:PortMaxConnections must be between 1 and 10000 (got {options.PortMaxConnections}).");
        }

        if (options.PortMaxRequests is < 1 or > 100_000)
        {
            errors.Add($"{p}:PortMaxRequests must be between 1 and 100000 (got {options.PortMaxRequests}).");
        }

        if (!System.Net.IPAddress.TryParse(options.HealthAddress, out _))
        {
            errors.Add($"{p}:HealthAddress must be an IP address (got '{options.HealthAddress}').");
        }

        if (!IsHttpUri(options.DefaultEndpoint))
        {
            errors.Add($"{p}:DefaultEndpoint must be an absolute http(s) URI (got '{options.DefaultEndpoint}').");
        }

        if (options.KeysDirectory is { Length: > 0 } dir && !Path.IsPathFullyQualified(dir))
        {
            errors.Add($"{p}:KeysDirectory must be an absolute path (got '{dir}').");
        }

        CheckPositive(errors, $"{p}:KeyRefreshInterval", options.KeyRefreshInterval);
        if (options.ShutdownGrace < TimeSpan.Zero)
        {
            errors.Add($"{p}:ShutdownGrace must not be negative.");
        }

        foreach (var (keyRef, key) in options.Keys)
        {
            ValidateKey(errors, $"{p}:Keys:{keyRef}", keyRef, key);
            ResilienceValidation.ValidateLimits(errors, $"{p}:Keys:{keyRef}:Limits", key.Limits);
        }

        var cache = options.ClientCache;
        CheckPositive(errors, $"{p}:ClientCache:SlidingExpiration", cache.SlidingExpiration);
        CheckPositive(errors, $"{p}:ClientCache:AbsoluteExpiration", cache.AbsoluteExpiration);
        CheckPositive(errors, $"{p}:ClientCache:ScanFrequency", cache.ScanFrequency);
        if (cache.MaxEntries < 1)
        {
            errors.Add($"{p}:ClientCache:MaxEntries must be at least 1 (got {cache.MaxEntries}).");
        }

        var limits = options.Limits;
        if (limits.MaxMessages < 1)
        {
            errors.Add($"{p}:Limits:MaxMessages must be at least 1 (got {limits.MaxMessages}).");
        }

        if (limits.MaxRequestBytes < 1024 || limits.MaxRequestBytes > 512 * 1024 * 1024)
        {
            errors.Add($"{p}:Limits:MaxRequestBytes must be between 1 KiB and 512 MiB (got {limits.MaxRequestBytes}).");
        }

        if (limits.MaxTools < 0)
        {
            errors.Add($"{p}:Limits:MaxTools must not be negative (got {limits.MaxTools}).");
        }

        if (limits.MaxJsonDepth is < 1 or > 256)
        {
            errors.Add($"{p}:Limits:MaxJsonDepth must be between 1 and 256 (got {limits.MaxJsonDepth}).");
        }

        var upstream = options.Upstream;
        CheckPositive(errors, $"{p}:Upstream:PooledConnectionLifetime", upstream.PooledConnectionLifetime);
        CheckPositive(errors, $"{p}:Upstream:PooledConnectionIdleTimeout", upstream.PooledConnectionIdleTimeout);
        CheckPositive(errors, $"{p}:Upstream:ConnectTimeout", upstream.ConnectTimeout);
        CheckBytes(errors, $"{p}:Upstream:MaxResponseBytes", upstream.MaxResponseBytes);
        CheckBytes(errors, $"{p}:Upstream:MaxEventBytes", upstream.MaxEventBytes);
        ResilienceValidation.Validate(errors, $"{p}:Resilience", options.Resilience);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    internal static bool TryParseMode(string? mode, out UnixFileMode result)
    {
        result = default;
        if (string.IsNullOrEmpty(mode) || mode.Length > 4 || mode.Any(c => c is < '0' or > '7'))
        {
            return false;
        }

        result = (UnixFileMode)Convert.ToInt32(mode, 8);
        return true;
    }

    private static void ValidateKey(List<string> errors, string path, string keyRef, KeyRefOptions key)
    {
        if (!KeyRefName.IsValid(keyRef))
        {
            errors.Add($"{path}: the name must match {KeyRefName.Pattern}.");
        }

        var provider = key.Provider?.Trim().ToLowerInvariant();
        if (provider is not (Providers.OpenAI or Providers.Echo))
        {
            errors.Add($"{path}:Provider must be '{Providers.OpenAI}' or '{Providers.Echo}' (got '{key.Provider}').");
        }

        if (provider == Providers.OpenAI)
        {
            if (string.IsNullOrWhiteSpace(key.ApiKey))
            {
                errors.Add($"{path}:ApiKey is required: env:NAME or file:/path.");
            }
            else if (SecretSpec.IsFile(key.ApiKey, out var file) && !Path.IsPathFullyQualified(file))
            {
                errors.Add($"{path}:ApiKey file: must name an absolute path.");
            }
            else if (SecretSpec.IsEnv(key.ApiKey, out var name) && name.Length == 0)
            {
                errors.Add($"{path}:ApiKey env: must name a variable.");
            }
        }

        if (key.Endpoint is not null && !IsHttpUri(key.Endpoint))
        {
            // The value is an address, not a secret, so it may appear in the message.
            errors.Add($"{path}:Endpoint must be an absolute http(s) URI (got '{key.Endpoint}').");
        }

        if (key.Models.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add($"{path}:Models must not contain empty names.");
        }
    }

    private static bool IsHttpUri(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private static void CheckPort(List<string> errors, string path, int port)
    {
        if (port is < 0 or > 65535)
        {
            errors.Add($"{path} must be between 0 (off) and 65535 (got {port}).");
        }
    }

    private static void CheckBytes(List<string> errors, string path, long value)
    {
        if (value is < 1024 or > 1024L * 1024 * 1024)
        {
            errors.Add($"{path} must be between 1024 (1 KiB) and 1073741824 (1 GiB) (got {value}).");
        }
    }

    private static void CheckPositive(List<string> errors, string path, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{path} must be a positive duration such as 00:00:10 (got {value}).");
        }
    }

    private static void CheckOpenAIHttp(List<string> errors, string p, SidecarOptions options)
    {
        var openAI = options.OpenAI;
        CheckPort(errors, $"{p}:OpenAI:Port", openAI.Port);
        if (openAI.Port != 0 && (openAI.Port == options.HealthPort || openAI.Port == options.HttpPort))
        {
            errors.Add($"{p}:OpenAI:Port must differ from {p}:HealthPort and {p}:HttpPort (got {openAI.Port}).");
        }

        if (openAI.Socket is { Length: > 0 } socket)
        {
            if (!Path.IsPathFullyQualified(socket))
            {
                errors.Add($"{p}:OpenAI:Socket must be an absolute path, or empty to turn it off (got '{socket}').");
            }
            else if (string.Equals(Path.GetFullPath(socket), options.Socket is { Length: > 0 } grpc && Path.IsPathFullyQualified(grpc) ? Path.GetFullPath(grpc) : null, StringComparison.Ordinal))
            {
                errors.Add($"{p}:OpenAI:Socket must differ from {p}:Socket (the gRPC socket speaks HTTP/2, this one HTTP/1.1).");
            }
        }
    }
}
