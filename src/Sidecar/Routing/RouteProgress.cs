namespace Sidecar.Routing;

/// <summary>What the router did for one call so far: the target it is on (or ended on) and the attempts made.</summary>
internal sealed class RouteProgress
{
    /// <summary>The key ref of the target tried last; null before any.</summary>
    public string? Target { get; set; }

    /// <summary>Targets called so far (a target's own retries count once; a skipped target not at all).</summary>
    public int Attempts { get; set; }
}
