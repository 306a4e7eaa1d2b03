namespace Sidecar.Configuration;

/// <summary>The values of <c>Sidecar:Redis:FailMode</c>.</summary>
public static class RedisFailModes
{
    public const string Local = "local";
    public const string Open = "open";
    public const string Closed = "closed";
}
