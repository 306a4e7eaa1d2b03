namespace Sidecar.Configuration;

/// <summary>Request limits, <c>Sidecar:Limits</c>. A request over one is refused with INVALID_ARGUMENT.</summary>
public sealed class LimitsOptions
{
    /// <summary>Most messages in one request. Default 1 000.</summary>
    public int MaxMessages { get; set; } = 1_000;

    /// <summary>Largest serialized request we accept. Default 4 MiB. gRPC itself refuses messages over twice
    /// this size (RESOURCE_EXHAUSTED) before they are read.</summary>
    public int MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Most tools in one request. Default 128 (the upstream API's limit).</summary>
    public int MaxTools { get; set; } = 128;

    /// <summary>Deepest nesting allowed in a JSON schema or tool-call arguments. Default 32.</summary>
    public int MaxJsonDepth { get; set; } = 32;
}
