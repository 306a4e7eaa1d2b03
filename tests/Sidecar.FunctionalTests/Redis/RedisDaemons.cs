using Microsoft.Extensions.DependencyInjection;
using Sidecar.FakeUpstream;
using Sidecar.Shared;

namespace Sidecar.FunctionalTests.Redis;

/// <summary>Daemons that share a <see cref="RedisServer"/>, and waits on their connection's state.</summary>
internal static class RedisDaemons
{
    /// <summary>A daemon on <paramref name="redis"/>, returned once its connection is up.</summary>
    public static async Task<Daemon> StartAsync(RedisServer redis, IDictionary<string, string> settings, FakeUpstreamServer? upstream = null)
    {
        // These tests count what is shared, not the time budget. On a loaded 2-core machine one script can run
        // over the 50 ms default, and the fail mode then applies, as it should, changing the count a test
        // asserts (CI saw a call served under 'open' that should have been refused). A roomier budget keeps
        // the counts exact. An absent Redis still costs no wait (nothing is queued while disconnected), which the kill
        // test measures. A test may set its own.
        var all = new Dictionary<string, string>
        {
            ["Sidecar:Redis:Configuration"] = redis.Configuration,
            ["Sidecar:Redis:OperationTimeout"] = "00:00:02",
        };
        foreach (var (name, value) in settings)
        {
            all[name] = value;
        }

        var daemon = await Daemon.StartAsync(upstream, all);
        await UntilAsync(daemon, RedisState.Up);
        return daemon;
    }

    public static RedisConnection Connection(Daemon daemon) => daemon.App.Services.GetRequiredService<RedisConnection>();

    /// <summary>Waits (on the connection's own change signal, never a clock) until the daemon sees Redis in <paramref name="state"/>.</summary>
    public static async Task UntilAsync(Daemon daemon, RedisState state)
    {
        var connection = Connection(daemon);
        using var timeout = new CancellationTokenSource(Daemon.Timeout);
        while (true)
        {
            var next = connection.NextChange;
            if (connection.State == state)
            {
                return;
            }

            await next.WaitAsync(timeout.Token);
        }
    }
}
