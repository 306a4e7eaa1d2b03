namespace Sidecar.Configuration;

/// <summary>The client cache (docs/design.md, "The client cache").</summary>
internal sealed class ClientCacheOptionsValidator : IOptionsValidator
{
    public void Validate(SidecarOptions options, string p, OptionsProblems problems)
    {
        var (cache, path) = (options.ClientCache, $"{p}:ClientCache");
        problems.Positive(path, ("SlidingExpiration", cache.SlidingExpiration), ("AbsoluteExpiration", cache.AbsoluteExpiration), ("ScanFrequency", cache.ScanFrequency));
        if (cache.MaxEntries < 1)
        {
            problems.Add($"{path}:MaxEntries must be at least 1 (got {cache.MaxEntries}).");
        }
    }
}
