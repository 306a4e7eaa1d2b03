using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sidecar.Configuration;
using Sidecar.Resilience;

namespace Sidecar.Health;

/// <summary>The names probes and agents ask for, and the tags that decide them.</summary>
internal static class HealthNames
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    /// <summary>gRPC health service names that mean "the process answers".</summary>
    public static readonly string[] LiveServices = ["", "liveness"];

    /// <summary>gRPC health service names that mean "ready to take calls".</summary>
    public static readonly string[] ReadyServices = ["readiness", "sidecar.v1.Completions"];
}
