namespace Sidecar.Client.Tests;

public sealed class SocketPathTests
{
    private static Func<string, string?> Env(string? sidecarSocket) =>
        name => name == "SIDECAR_SOCKET" ? sidecarSocket : null;

    [Fact]
    public void ResolveSocketPath_ArgumentGiven_WinsOverEnvironment()
    {
        Assert.Equal("/tmp/a.sock", SidecarChannel.ResolveSocketPath("/tmp/a.sock", Env("/tmp/env.sock")));
    }

    [Fact]
    public void ResolveSocketPath_NoArgument_UsesSidecarSocketVariable()
    {
        Assert.Equal("/tmp/env.sock", SidecarChannel.ResolveSocketPath(null, Env("/tmp/env.sock")));
        Assert.Equal("/tmp/env.sock", SidecarChannel.ResolveSocketPath("", Env("/tmp/env.sock")));
    }

    [Fact]
    public void ResolveSocketPath_NothingSet_UsesDefaultPath()
    {
        Assert.Equal("/var/run/sidecar/sidecar.sock", SidecarChannel.ResolveSocketPath(null, Env(null)));
        Assert.Equal(SidecarChannel.DefaultSocketPath, SidecarChannel.ResolveSocketPath(null, Env("")));
    }

    [Fact]
    public void Create_SocketPathGiven_ExposesIt()
    {
        using var channel = SidecarChannel.Create("/tmp/explicit.sock");

        Assert.Equal("/tmp/explicit.sock", channel.SocketPath);
    }
}
