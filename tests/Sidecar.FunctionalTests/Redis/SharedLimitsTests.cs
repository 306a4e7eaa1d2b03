using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Sidecar.Shared;
using Sidecar.V1;

namespace Sidecar.FunctionalTests.Redis;

/// <summary>Shared limits and budgets over a real Redis, across daemons, restarts and Redis failures (docs/scaling.md).</summary>
public sealed class SharedLimitsTests
{
    [Fact]
    public async Task Complete_TwoDaemonsShareRequestsPerMinute_ExactlyTheLimitIsServed()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string> { ["Sidecar:Keys:echo:SharedLimits:RequestsPerMinute"] = "20" };
        await using var a = await RedisDaemons.StartAsync(redis, settings);
        await using var b = await RedisDaemons.StartAsync(redis, settings);

        var calls = Enumerable.Range(0, 30).Select(i => Outcome((i % 2 == 0 ? a : b).Client.CompleteAsync(Requests.Echo($"call {i}")).ResponseAsync));
        var outcomes = await Task.WhenAll(calls).WaitAsync(Daemon.Timeout);

        Assert.Equal(20, outcomes.Count(o => o is null));
        var refused = outcomes.Where(o => o is not null).Select(o => o!).ToList();
        Assert.Equal(10, refused.Count);
        Assert.All(refused, e =>
        {
            Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
            var status = e.GetRpcStatus()!;
            Assert.Equal("SHARED_LIMIT", status.GetDetail<ErrorInfo>()?.Reason);
            Assert.Equal("requests", status.GetDetail<ErrorInfo>()?.Metadata["limit"]);
            var delay = status.GetDetail<RetryInfo>()!.RetryDelay.ToTimeSpan();
            Assert.InRange(delay, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(60));
        });
    }

    [Fact]
    public async Task Complete_TokenBudget_HoldsAcrossDaemonsAndADaemonRestart()
    {
        await using var redis = await RedisServer.StartAsync();

        // Echo's usage: 5 prompt words + 5 echoed = 10 tokens a call. 25 a day admits three calls (the third
        // overshoots: tokens are counted when a call ends), then refuses.
        var settings = new Dictionary<string, string> { ["Sidecar:Keys:echo:Budget:TokensPerDay"] = "25" };
        var request = Requests.Echo("one two three four five");
        await using var b = await RedisDaemons.StartAsync(redis, settings);
        await using (var a = await RedisDaemons.StartAsync(redis, settings))
        {
            Assert.Equal(10, (await a.Client.CompleteAsync(request)).Usage.TotalTokens);
        }

        await b.Client.CompleteAsync(request);
        Assert.Equal(5, Remaining(b, "day"));

        // A fresh daemon (a restart) knows nothing but what Redis holds.
        await using var restarted = await RedisDaemons.StartAsync(redis, settings);
        await restarted.Client.CompleteAsync(request);

        foreach (var daemon in new[] { restarted, b })
        {
            var status = await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(request).ResponseAsync, StatusCode.ResourceExhausted, "BUDGET_EXHAUSTED");
            Assert.Equal("day", status!.GetDetail<ErrorInfo>()!.Metadata["period"]);
            var untilMidnight = DateTime.UtcNow.Date.AddDays(1) - DateTime.UtcNow;
            Assert.InRange(status.GetDetail<RetryInfo>()!.RetryDelay.ToTimeSpan(), untilMidnight - TimeSpan.FromMinutes(1), untilMidnight + TimeSpan.FromMinutes(1));
        }

        Assert.Equal(0, Remaining(restarted, "day"));
    }

    [Fact]
    public async Task Complete_RedisKilledUnderFailModeLocal_CallsGoOnWithoutWaitingAndEnforcementResumesWhenBack()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = SharedRequests(perMinute: 3, failMode: "local");
        await using var daemon = await RedisDaemons.StartAsync(redis, settings);
        await ServedThenLimitedAsync(daemon, 3);

        // Measured from here: the operations in flight when Redis dies and every one while it is away.
        using var measured = new RedisMeasurements(daemon);
        var linesBefore = daemon.LogLines.Count;
        Assert.Equal(RedisState.Up, RedisDaemons.Connection(daemon).State);
        await redis.KillAsync();
        for (var i = 0; i < 10; i++)
        {
            await daemon.Client.CompleteAsync(Requests.Echo($"while Redis is away {i}"));
        }

        Assert.Equal(RedisState.Down, RedisDaemons.Connection(daemon).State);
        Assert.True(measured.Errors >= 10, $"sidecar.redis.errors counted {measured.Errors}");

        // The daemon's own measure of each wait: an absent Redis is not waited on. Each operation failed at
        // once, far inside the 2 s budget these tests give and the 100 ms a call may wait for Redis.
        var worst = measured.Waits.Max(w => w.Seconds);
        Assert.True(worst < 0.1, $"a call waited {worst * 1000:F1} ms for Redis");
        Assert.Single(daemon.LogLines.Skip(linesBefore), l => l.Contains("cannot be reached", StringComparison.Ordinal));

        await redis.StartAgainAsync();
        await RedisDaemons.UntilAsync(daemon, RedisState.Up);
        await ServedThenLimitedAsync(daemon, 3);
        Assert.Contains(daemon.LogLines, l => l.Contains("enforced again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Complete_RedisAwayUnderFailModeLocal_SpendsOnlyItsShareOfTheBudgetAndRepaysItWhenBack()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["Sidecar:Keys:echo:Budget:TokensPerDay"] = "100",
            ["Sidecar:Redis:LocalBudgetShare"] = "0.2",
        };
        await using var daemon = await RedisDaemons.StartAsync(redis, settings);
        var request = Requests.Echo("one two three four five");
        await redis.KillAsync();

        // 10 tokens a call; this sidecar may spend 20 of the 100 on its own.
        await daemon.Client.CompleteAsync(request);
        await daemon.Client.CompleteAsync(request);
        var status = await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(request).ResponseAsync, StatusCode.ResourceExhausted, "BUDGET_EXHAUSTED");
        Assert.Contains("share", status!.Message, StringComparison.Ordinal);
        Assert.Equal("down", await ReadinessDetailAsync(daemon));

        await redis.StartAgainAsync();
        await RedisDaemons.UntilAsync(daemon, RedisState.Up);
        await daemon.Client.CompleteAsync(request);

        // The 20 spent while Redis was away were added to its count with this call's 10.
        Assert.Equal(70, Remaining(daemon, "day"));
        Assert.Equal("up", await ReadinessDetailAsync(daemon));
    }

    [Fact]
    public async Task Complete_RedisAwayUnderFailModeOpen_NothingSharedIsEnforced()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var daemon = await EnforcedThenRedisGoneAsync(redis, "open", ("Sidecar:Keys:echo:Budget:TokensPerDay", "10"));

        // Over the shared limit and the budget (10 tokens a call) alike: nothing is checked while Redis is away.
        for (var i = 0; i < 3; i++)
        {
            await daemon.Client.CompleteAsync(Requests.Echo("one two three four five"));
        }

        Assert.Equal("down", await ReadinessDetailAsync(daemon));
    }

    [Fact]
    public async Task Complete_RedisAwayUnderFailModeClosed_RefusedUnavailableSayingWhy()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var daemon = await EnforcedThenRedisGoneAsync(redis, "closed", ("Sidecar:Keys:open:Provider", "echo"));

        var status = await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Requests.Echo("now")).ResponseAsync, StatusCode.Unavailable, "SHARED_STATE_UNAVAILABLE");
        Assert.Contains("Redis cannot be reached", status!.Message, StringComparison.Ordinal);
        Assert.Equal("redis", status.GetDetail<ErrorInfo>()!.Metadata["limit"]);

        // A key ref with nothing shared does not depend on Redis.
        var unshared = Requests.Echo("unshared");
        unshared.KeyRef = "open";
        await daemon.Client.CompleteAsync(unshared);
    }

    /// <summary>The echo key ref with a shared requests-a-minute limit, under <paramref name="failMode"/>.</summary>
    private static Dictionary<string, string> SharedRequests(int perMinute, string failMode) => new()
    {
        ["Sidecar:Keys:echo:SharedLimits:RequestsPerMinute"] = perMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Sidecar:Redis:FailMode"] = failMode,
    };

    /// <summary>A daemon whose one-a-minute shared limit on echo was enforced through Redis, which is then killed.</summary>
    private static async Task<Daemon> EnforcedThenRedisGoneAsync(RedisServer redis, string failMode, (string Name, string Value) setting)
    {
        var settings = SharedRequests(perMinute: 1, failMode);
        settings[setting.Name] = setting.Value;
        var daemon = await RedisDaemons.StartAsync(redis, settings);
        await ServedThenLimitedAsync(daemon, 1);
        await redis.KillAsync();
        return daemon;
    }

    private static async Task ServedThenLimitedAsync(Daemon daemon, int limit)
    {
        for (var i = 0; i < limit; i++)
        {
            await daemon.Client.CompleteAsync(Requests.Echo($"within the limit {i}"));
        }

        await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Requests.Echo("one too many")).ResponseAsync, StatusCode.ResourceExhausted, "SHARED_LIMIT");
    }

    private static async Task<RpcException?> Outcome(Task call)
    {
        try
        {
            await call;
            return null;
        }
        catch (RpcException ex)
        {
            return ex;
        }
    }

    /// <summary>The <c>redis</c> detail of the daemon's readiness, which stays healthy whatever it says.</summary>
    private static async Task<string> ReadinessDetailAsync(Daemon daemon)
    {
        var ready = await daemon.ReadinessAsync();
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, ready.Status);
        return (string)ready.Data["redis"];
    }

    /// <summary>The daemon's <c>sidecar.budget.remaining</c> for the echo key ref and <paramref name="period"/>.</summary>
    private static long Remaining(Daemon daemon, string period)
    {
        var meter = daemon.App.Services.GetRequiredService<SharedMetrics>().Meter;
        var values = new List<long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter && instrument.Name == "sidecar.budget.remaining")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var all = tags.ToArray();
            if (all.Contains(new("key_ref", "echo")) && all.Contains(new("period", period)))
            {
                values.Add(value);
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return Assert.Single(values);
    }
}
