using Google.Rpc;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace Sidecar.FunctionalTests;

/// <summary>
/// Retries, circuit breakers, local limits and timeouts of the real daemon against the fault-injecting
/// fake upstream. Every test starts its own daemon with the settings it needs; waits are on events
/// (a request reaching the upstream, a call ending), and timeouts are short configured values.
/// </summary>
public sealed class ResilienceTests : IAsyncLifetime
{
    private readonly List<Daemon> _daemons = [];
    private FakeUpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstreamServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var daemon in _daemons)
        {
            await daemon.DisposeAsync();
        }

        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Complete_TwoTransient503s_SucceedsOnTheThirdAttempt()
    {
        var daemon = await StartAsync();

        var response = await daemon.Client.CompleteAsync(Requests.Fake("fake-fail2-503@x", "ping")).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal("fake: ping", response.Message.Content);
        Assert.Equal(3, _upstream.CountFor("fake-fail2-503@x"));
    }

    [Fact]
    public async Task Complete_503OnEveryAttempt_FailsAfterThreeAttemptsWithUnavailableAndRetryInfo()
    {
        var daemon = await StartAsync();

        var status = await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Requests.Fake("fake-fail5-503@y")).ResponseAsync, StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE");

        Assert.Equal(3, _upstream.CountFor("fake-fail5-503@y"));
        Assert.NotNull(status!.GetDetail<RetryInfo>());
    }

    [Fact]
    public async Task StreamComplete_TransientFailuresBeforeTheFirstChunk_AreRetried()
    {
        var daemon = await StartAsync();

        var chunks = await CompletionsTests.ReadAllAsync(daemon.Client.StreamComplete(Requests.Fake("fake-fail2-503@s", "one two")));

        Assert.Equal("fake: one two", string.Concat(chunks.Select(c => c.ContentDelta)));
        Assert.Equal(FinishReason.Stop, chunks[^1].FinishReason);
        Assert.Equal(3, _upstream.CountFor("fake-fail2-503@s"));
    }

    [Fact]
    public async Task Complete_429WithRetryAfter_IsRetriedAfterTheUpstreamsDelay()
    {
        var daemon = await StartAsync();

        await daemon.Client.CompleteAsync(Requests.Fake("fake-fail1-429-after200ms@r")).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal(2, _upstream.CountFor("fake-fail1-429-after200ms@r"));
        // The delay the retry chose, as the daemon states it: a test may not time it.
        Assert.Contains(daemon.LogLines, line => line.Contains("in 200 ms (retry 1) after: HTTP 429", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Complete_RetryAfterLongerThanTheCap_IsReturnedAtOnceWithTheUpstreamsDelay()
    {
        var daemon = await StartAsync(new() { ["Sidecar:Resilience:Retry:MaxRetryAfter"] = "00:00:01" });

        var status = await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Requests.Fake("fake-429@cap")).ResponseAsync, StatusCode.ResourceExhausted, "UPSTREAM_RATE_LIMITED");

        Assert.Equal(TimeSpan.FromSeconds(2), status!.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());
        Assert.Equal(1, _upstream.CountFor("fake-429@cap"));
    }

    [Fact]
    public async Task Complete_400_IsNotRetried()
    {
        var daemon = await StartAsync();

        await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Requests.Fake("fake-400@n")).ResponseAsync, StatusCode.InvalidArgument, "UPSTREAM_REJECTED");

        Assert.Equal(1, _upstream.CountFor("fake-400@n"));
    }

    [Theory]
    [InlineData("fake-cut@c")]
    [InlineData("fake-reset@r")]
    public async Task StreamComplete_FailureAfterTheFirstChunk_IsNeverRetried(string model)
    {
        var daemon = await StartAsync();
        using var call = daemon.Client.StreamComplete(Requests.Fake(model, "one two three four five"));
        var received = new List<CompleteChunk>();

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout))
            {
                received.Add(call.ResponseStream.Current);
            }
        });

        Assert.NotEmpty(received);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("UPSTREAM_STREAM_BROKEN", error.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        Assert.Equal(1, _upstream.CountFor(model));
    }

    [Fact]
    public async Task Complete_DeadlineTooNearForARetry_FailsAtOnceWithTheUpstreamsError()
    {
        var daemon = await StartAsync(new()
        {
            ["Sidecar:Resilience:Retry:BaseDelay"] = "00:00:05",
            ["Sidecar:Resilience:Retry:MaxDelay"] = "00:00:05",
            ["Sidecar:Resilience:Retry:UseJitter"] = "false",
        });

        await RpcAssert.FailsAsync(
            () => daemon.Client.CompleteAsync(Requests.Fake("fake-fail5-503@d"), deadline: DateTime.UtcNow.AddSeconds(3)).ResponseAsync,
            StatusCode.Unavailable,
            "UPSTREAM_UNAVAILABLE");

        Assert.Equal(1, _upstream.CountFor("fake-fail5-503@d"));
    }

    [Fact]
    public async Task Complete_RepeatedFailures_OpenTheBreakerWhichRefusesWithoutTheUpstreamThenClosesAfterTheBreak()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var daemon = await StartAsync(
            new()
            {
                ["Sidecar:Resilience:Retry:MaxRetries"] = "0",
                ["Sidecar:Resilience:CircuitBreaker:MinimumThroughput"] = "2",
                ["Sidecar:Resilience:CircuitBreaker:FailureRatio"] = "0.5",
                ["Sidecar:Resilience:CircuitBreaker:BreakDuration"] = "00:00:30",
            },
            builder => builder.Services.AddSingleton<TimeProvider>(clock));
        var model = "fake-fail2-503@b";
        var circuit = $"circuit.model.{_upstream.Endpoint.Authority}/{model}";

        for (var i = 0; i < 2; i++)
        {
            await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Requests.Fake(model)).ResponseAsync, StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE");
        }

        var refused = await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Requests.Fake(model)).ResponseAsync, StatusCode.Unavailable, "CIRCUIT_OPEN");
        var refusedStream = await RpcAssert.FailsAsync(() => CompletionsTests.ReadAllAsync(daemon.Client.StreamComplete(Requests.Fake(model))), StatusCode.Unavailable, "CIRCUIT_OPEN");

        Assert.Equal(TimeSpan.FromSeconds(30), refused!.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());
        Assert.NotNull(refusedStream!.GetDetail<RetryInfo>());
        Assert.Equal(2, _upstream.CountFor(model));
        var ready = await daemon.ReadinessAsync();
        Assert.Equal(HealthStatus.Healthy, ready.Status);
        Assert.Equal("open", ready.Data[circuit]);
        Assert.Equal(2, daemon.CircuitGauge(_upstream.Endpoint.Authority, model));

        clock.Advance(TimeSpan.FromSeconds(30));
        var response = await daemon.Client.CompleteAsync(Requests.Fake(model, "back")).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal("fake: back", response.Message.Content);
        Assert.Equal(3, _upstream.CountFor(model));
        Assert.False((await daemon.ReadinessAsync()).Data.ContainsKey(circuit));
        Assert.Equal(0, daemon.CircuitGauge(_upstream.Endpoint.Authority));
        Assert.Null(daemon.CircuitGauge(_upstream.Endpoint.Authority, model));
    }

    [Fact]
    public async Task Complete_ConcurrencyLimitReached_IsLocalLimitWhileAHangingCallHoldsTheSlot()
    {
        var daemon = await StartAsync(new()
        {
            ["Sidecar:Keys:fake:Limits:MaxConcurrentRequests"] = "1",
            ["Sidecar:Keys:fake:Limits:QueueLimit"] = "0",
        });
        using var cancel = new CancellationTokenSource();
        var hanging = daemon.Client.CompleteAsync(Requests.Fake("fake-hang@slot"), cancellationToken: cancel.Token);
        var seen = await _upstream.NextRequestAsync(CancellationToken.None).AsTask().WaitAsync(Daemon.Timeout);

        var status = await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Requests.Fake("fake-1@second")).ResponseAsync, StatusCode.ResourceExhausted, "LOCAL_LIMIT");

        Assert.Equal("fake-hang@slot", seen.Model);
        Assert.NotNull(status!.GetDetail<RetryInfo>());
        Assert.Equal("concurrency", status.GetDetail<ErrorInfo>().Metadata["limit"]);
        Assert.Equal(0, _upstream.CountFor("fake-1@second"));
        var echo = await daemon.Client.CompleteAsync(Requests.Echo("other keys are not limited")).ResponseAsync.WaitAsync(Daemon.Timeout);
        Assert.Equal("other keys are not limited", echo.Message.Content);

        cancel.Cancel();
        await Assert.ThrowsAsync<RpcException>(() => hanging.ResponseAsync.WaitAsync(Daemon.Timeout));
        hanging.Dispose();
    }

    [Fact]
    public async Task Complete_OverRequestsPerMinute_RefusesTheNextCallWithRetryInfo()
    {
        var daemon = await StartAsync(new() { ["Sidecar:Keys:fake:Limits:RequestsPerMinute"] = "2" });

        await daemon.Client.CompleteAsync(Requests.Fake("fake-1@rpm")).ResponseAsync.WaitAsync(Daemon.Timeout);
        await daemon.Client.CompleteAsync(Requests.Fake("fake-1@rpm")).ResponseAsync.WaitAsync(Daemon.Timeout);
        var status = await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Requests.Fake("fake-1@rpm")).ResponseAsync, StatusCode.ResourceExhausted, "LOCAL_LIMIT");

        Assert.Equal("rate", status!.GetDetail<ErrorInfo>().Metadata["limit"]);
        Assert.True(status.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan() > TimeSpan.Zero);
        Assert.Equal(2, _upstream.CountFor("fake-1@rpm"));
    }

    [Fact]
    public async Task StreamComplete_GlobalStreamCapReached_RefusesTheNextStreamButNotUnaryCalls()
    {
        var daemon = await StartAsync(new() { ["Sidecar:Resilience:MaxConcurrentStreams"] = "1" });
        using var cancel = new CancellationTokenSource();
        var hanging = daemon.Client.StreamComplete(Requests.Fake("fake-hang@stream"), cancellationToken: cancel.Token);
        await _upstream.NextRequestAsync(CancellationToken.None).AsTask().WaitAsync(Daemon.Timeout);

        var status = await RpcAssert.FailsAsync(() => CompletionsTests.ReadAllAsync(daemon.Client.StreamComplete(Requests.Fake("fake-1@second"))), StatusCode.ResourceExhausted, "LOCAL_LIMIT");
        var unary = await daemon.Client.CompleteAsync(Requests.Fake("fake-1@unary")).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal("streams", status!.GetDetail<ErrorInfo>().Metadata["limit"]);
        Assert.Equal(0, _upstream.CountFor("fake-1@second"));
        Assert.Equal(FinishReason.Stop, unary.FinishReason);
        cancel.Cancel();
        hanging.Dispose();
    }

    [Fact]
    public async Task StreamComplete_NoFirstTokenInTime_IsUnavailableAfterRetryingAndEachAttemptIsAborted()
    {
        var daemon = await StartAsync(new() { ["Sidecar:Resilience:FirstTokenTimeout"] = "00:00:00.300" });

        await RpcAssert.FailsAsync(() => CompletionsTests.ReadAllAsync(daemon.Client.StreamComplete(Requests.Fake("fake-hang@ftt"))), StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE");

        Assert.Equal(3, _upstream.CountFor("fake-hang@ftt"));
        foreach (var request in _upstream.Requests)
        {
            Assert.True(await request.Ended.WaitAsync(Daemon.Timeout), "every timed-out attempt is aborted at the upstream");
        }
    }

    [Fact]
    public async Task StreamComplete_SilenceAfterTheFirstChunk_EndsWithStreamBroken()
    {
        var daemon = await StartAsync(new() { ["Sidecar:Resilience:StreamIdleTimeout"] = "00:00:00.300" });
        using var call = daemon.Client.StreamComplete(Requests.Fake("fake-slowdrip-10000@idle"));
        var received = new List<CompleteChunk>();

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout))
            {
                received.Add(call.ResponseStream.Current);
            }
        });

        Assert.Equal("slow", Assert.Single(received).ContentDelta);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("UPSTREAM_STREAM_BROKEN", error.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        Assert.Equal(1, _upstream.CountFor("fake-slowdrip-10000@idle"));
        Assert.True(await _upstream.Requests.Single().Ended.WaitAsync(Daemon.Timeout));
    }

    [Fact]
    public async Task StreamComplete_SteadyDrip_IsNotCutByTheIdleTimeout()
    {
        var daemon = await StartAsync(new() { ["Sidecar:Resilience:StreamIdleTimeout"] = "00:00:05" });

        var chunks = await CompletionsTests.ReadAllAsync(daemon.Client.StreamComplete(Requests.Fake("fake-drip-5")));

        Assert.Equal(5, chunks.Count(c => c.ContentDelta == "tick "));
        Assert.Equal(FinishReason.Stop, chunks[^1].FinishReason);
    }

    [Fact]
    public async Task Complete_CallerSetsNoDeadline_TheDefaultDeadlineEndsTheCallAndAbortsTheUpstream()
    {
        var daemon = await StartAsync(new() { ["Sidecar:Resilience:DefaultDeadline"] = "00:00:00.500" });

        await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Requests.Fake("fake-hang@default")).ResponseAsync, StatusCode.DeadlineExceeded);

        Assert.True(await _upstream.Requests.Single().Ended.WaitAsync(Daemon.Timeout));
    }

    [Fact]
    public async Task StreamComplete_CallerSetsNoDeadline_TheDefaultDeadlineEndsTheStream()
    {
        var daemon = await StartAsync(new() { ["Sidecar:Resilience:DefaultDeadline"] = "00:00:00.500" });

        await RpcAssert.FailsAsync(() => CompletionsTests.ReadAllAsync(daemon.Client.StreamComplete(Requests.Fake("fake-drip"))), StatusCode.DeadlineExceeded);

        Assert.True(await _upstream.Requests.Single().Ended.WaitAsync(Daemon.Timeout));
    }

    /// <summary>A daemon whose retries wait milliseconds and whose breakers stay out of the way, unless a test says otherwise.</summary>
    private async Task<Daemon> StartAsync(Dictionary<string, string>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        var all = new Dictionary<string, string>
        {
            ["Sidecar:Resilience:Retry:BaseDelay"] = "00:00:00.010",
            ["Sidecar:Resilience:Retry:MaxDelay"] = "00:00:00.050",
            ["Sidecar:Resilience:CircuitBreaker:MinimumThroughput"] = "1000",
        };
        foreach (var (name, value) in settings ?? [])
        {
            all[name] = value;
        }

        var daemon = await Daemon.StartAsync(_upstream, all, configure);
        _daemons.Add(daemon);
        return daemon;
    }
}
