namespace Sidecar.Client.Tests.Infrastructure;

/// <summary>
/// A theory that needs the live daemon at SIDECAR_SOCKET (tests/conformance/with-daemon.sh sets it):
/// skipped without it, unless SIDECAR_CONFORMANCE_REQUIRED=1 (then it runs and fails clearly).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ConformanceTheoryAttribute : TheoryAttribute
{
    public ConformanceTheoryAttribute()
    {
        if (!Daemon.Available && !Daemon.Required)
        {
            Skip = "SIDECAR_SOCKET is not set (run under tests/conformance/with-daemon.sh)";
        }
    }
}

/// <summary>A fact with the same rule as <see cref="ConformanceTheoryAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ConformanceFactAttribute : FactAttribute
{
    public ConformanceFactAttribute()
    {
        if (!Daemon.Available && !Daemon.Required)
        {
            Skip = "SIDECAR_SOCKET is not set (run under tests/conformance/with-daemon.sh)";
        }
    }
}

internal static class Daemon
{
    public static string? SocketPath => Environment.GetEnvironmentVariable("SIDECAR_SOCKET") is { Length: > 0 } s ? s : null;

    public static bool Available => SocketPath is not null;

    public static bool Required => Environment.GetEnvironmentVariable("SIDECAR_CONFORMANCE_REQUIRED") == "1";

    public static void AssertAvailable() =>
        Assert.True(Available, "SIDECAR_CONFORMANCE_REQUIRED=1 but SIDECAR_SOCKET is not set: no daemon to test against");
}
