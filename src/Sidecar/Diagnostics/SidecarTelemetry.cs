using System.Diagnostics;

namespace Sidecar.Diagnostics;

/// <summary>The daemon's one <see cref="ActivitySource"/>, named after the assembly.</summary>
internal static class SidecarTelemetry
{
    public const string ActivitySourceName = "Sidecar";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);
}
