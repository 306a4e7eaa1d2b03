namespace Sidecar.Configuration;

/// <summary>The client cache (docs/design.md, "The client cache").</summary>
internal sealed class ClientCacheOptionsValidator : IOptionsValidator
{
    public void Validate(SidecarOptions options, string p, OptionsProblems problems)
    {
        var cache = options.ClientCache;
        problems.Positive($"{p}:ClientCache:SlidingExpiration", cache.SlidingExpiration);
        problems.Positive($"{p}:ClientCache:AbsoluteExpiration", cache.AbsoluteExpiration);
        problems.Positive($"{p}:ClientCache:ScanFrequency", cache.ScanFrequency);
        if (cache.MaxEntries < 1)
        {
            problems.Add($"{p}:ClientCache:MaxEntries must be at least 1 (got {cache.MaxEntries}).");
        }
    }
}
