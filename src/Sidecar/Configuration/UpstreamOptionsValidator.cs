namespace Sidecar.Configuration;

/// <summary>The upstream transport: pooled connections and the sizes read from an upstream.</summary>
internal sealed class UpstreamOptionsValidator : IOptionsValidator
{
    public void Validate(SidecarOptions options, string p, OptionsProblems problems)
    {
        var (upstream, path) = (options.Upstream, $"{p}:Upstream");
        problems.Positive(
            path,
            ("PooledConnectionLifetime", upstream.PooledConnectionLifetime),
            ("PooledConnectionIdleTimeout", upstream.PooledConnectionIdleTimeout),
            ("ConnectTimeout", upstream.ConnectTimeout));

        // What an upstream sends is read into memory up to these sizes.
        problems.Bytes($"{path}:MaxResponseBytes", upstream.MaxResponseBytes);
        problems.Bytes($"{path}:MaxEventBytes", upstream.MaxEventBytes);
    }
}
