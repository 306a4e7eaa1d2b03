using StackExchange.Redis;

namespace Sidecar.Configuration;

/// <summary>
/// Turns <c>Sidecar:Redis:Configuration</c> into StackExchange.Redis options: the password and user may be
/// <c>env:NAME</c> or <c>file:/path</c> (<see cref="SecretSpec"/>; read here, never logged), and the connection never gives up (it
/// reconnects in the background) and never queues commands while disconnected (they fail at once, so the
/// fail mode applies within the operation budget instead of after a backlog drains).
/// </summary>
internal static class RedisSettings
{
    /// <summary>
    /// The options for <paramref name="redis"/>'s <c>Configuration</c> and <c>CaFile</c>, or the problems that stop
    /// them, each starting with the setting's name (none names a secret).
    /// </summary>
    public static ConfigurationOptions? TryBuild(RedisOptions redis, List<string> problems)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(redis.Configuration);
        }
        catch (ArgumentException ex)
        {
            // Parse errors name the option, not its value.
            problems.Add($"Configuration is not a StackExchange.Redis configuration string: {ex.Message}");
            return null;
        }

        if (options.EndPoints.Count == 0)
        {
            problems.Add("Configuration names no endpoint (host:port).");
        }

        options.Password = Resolve(options.Password, "password", problems);
        options.User = Resolve(options.User, "user", problems);
        if (!string.IsNullOrWhiteSpace(redis.CaFile))
        {
            if (!options.Ssl)
            {
                problems.Add("CaFile is set, but Configuration does not ask for TLS (add ssl=true).");
            }

            if (RedisTrust.TryLoad(redis.CaFile, problems) is { } authorities)
            {
                options.CertificateValidation += RedisTrust.Validator(authorities);
            }
        }

        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ReconnectRetryPolicy = new LinearRetry(500);
        options.ClientName ??= "sidecar";
        return problems.Count == 0 ? options : null;
    }

    /// <summary>The configuration string without its password, for log lines.</summary>
    public static string Describe(ConfigurationOptions options) => string.Join(",", options.EndPoints.Select(e => e.ToString()));

    private static string? Resolve(string? spec, string what, List<string> problems)
    {
        if (spec is null)
        {
            return null;
        }

        if (SecretSpec.IsEnv(spec, out var name))
        {
            var value = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(value))
            {
                problems.Add($"Configuration takes its {what} from environment variable {name}, which is not set.");
            }

            return value?.Trim();
        }

        if (SecretSpec.IsFile(spec, out var path))
        {
            try
            {
                return File.ReadAllText(path).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problems.Add($"Configuration takes its {what} from {path}, which cannot be read ({ex.GetType().Name}).");
                return null;
            }
        }

        return spec;
    }
}
