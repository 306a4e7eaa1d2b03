namespace Sidecar.Configuration;

/// <summary>The upstream transport: pooled connections and the sizes read from an upstream.</summary>
internal sealed class UpstreamOptionsValidator : IOptionsValidator
{
    public void Validate(SidecarOptions options, string p, OptionsProblems problems)
    {
        var upstream = options.Upstream;
        problems.Positive($"{p}:Upstream:PooledConnectionLifetime", upstream.PooledConnectionLifetime);
        problems.Positive($"{p}:Upstream:PooledConnectionIdleTimeout", upstream.PooledConnectionIdleTimeout);
        problems.Positive($"{p}:Upstream:ConnectTimeout", upstream.ConnectTimeout);
        problems.Bytes($"{p}:Upstream:MaxResponseBytes", upstream.MaxResponseBytes);
        problems.Bytes($"{p}:Upstream:MaxEventBytes", upstream.MaxEventBytes);
    }
}
