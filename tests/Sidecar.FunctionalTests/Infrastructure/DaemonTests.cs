namespace Sidecar.FunctionalTests;

/// <summary>
/// A test class whose tests each get a fresh fake upstream and in-process daemon (xunit makes one instance per
/// test): both start before the test and stop after it. The class names the daemon's settings.
/// </summary>
public abstract class DaemonTests : IAsyncLifetime
{
    protected FakeUpstreamServer Upstream { get; private set; } = null!;

    protected Daemon Daemon { get; private set; } = null!;

    /// <summary>The daemon's settings, asked once the upstream serves (<see cref="Upstream"/>).</summary>
    protected abstract Dictionary<string, string> Settings();

    /// <summary>What to change in the daemon's host (a fake clock, say); nothing by default.</summary>
    protected virtual void Configure(WebApplicationBuilder builder)
    {
    }

    public virtual async Task InitializeAsync()
    {
        Upstream = await FakeUpstreamServer.StartAsync();
        Daemon = await Daemon.StartAsync(Upstream, Settings(), Configure);
    }

    public virtual async Task DisposeAsync()
    {
        await Daemon.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
