using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.FakeUpstream;
using Sidecar.Keys;
using Sidecar.Resilience;
using Sidecar.V1;

namespace Sidecar.FunctionalTests;

/// <summary>
/// Routing on the real daemon against the fake upstream (docs/design.md, "Routing"): fallbacks, pools,
/// model aliases, auth modes and extra headers, internal key refs, and the checks at start and on reload.
/// Each target has its own key file, so the upstream tells targets apart by the key it received.
/// </summary>
public sealed class RoutingTests : IAsyncLifetime
{
    private readonly DirectoryInfo _keys = Directory.CreateTempSubdirectory("sidecar-routing-keys-");
    private FakeUpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstreamServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        _keys.Delete(recursive: true);
    }

    [Fact]
    public async Task Complete_PrimaryAlways500_TheFallbackAnswersAndServedByAndMetricsSayWho()
    {
        await using var daemon = await PrimaryAndBackupAsync("fake-500", "fake-1@backup");
        using var fallbacks = Recorder.Start(daemon, "sidecar.upstream.fallbacks");
        using var requests = Recorder.Start(daemon, "sidecar.requests");
        using var durations = Recorder.Start(daemon, "sidecar.request.duration");
        using var tokens = Recorder.Start(daemon, "sidecar.tokens");

        var response = await daemon.Client.CompleteAsync(Call("primary", "chat")).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal("fake: alpha beta gamma", response.Message.Content);
        Assert.Equal(new ServedBy { KeyRef = "backup", Model = "fake-1@backup", Attempts = 2 }, response.ServedBy);
        Assert.Equal(1, _upstream.CountFor("fake-500"));
        Assert.Equal(1, _upstream.CountFor("fake-1@backup"));
        var fallback = Assert.Single(fallbacks.Measurements);
        Assert.Equal(("primary", "backup", "UPSTREAM_UNAVAILABLE"), (fallback.Tag("from"), fallback.Tag("to"), fallback.Tag("reason")));
        var request = Assert.Single(requests.Measurements);
        Assert.Equal(("backup", "OK"), (request.Tag("target"), request.Tag("code")));
        Assert.Equal("backup", Assert.Single(durations.Measurements).Tag("target"));
        // The agent named primary; the backup's account spent the tokens.
        Assert.NotEmpty(tokens.Measurements);
        Assert.All(tokens.Measurements, t => Assert.Equal(("primary", "backup"), (t.Tag("key_ref"), t.Tag("target"))));
    }

    [Fact]
    public async Task Complete_429WithRetryAfterOverMaxRetryAfter_FallsBackAtOnceWithoutRetrying()
    {
        await using var daemon = await PrimaryAndBackupAsync("fake-429", "fake-1@backup", new Dictionary<string, string>
        {
            // The fake asks for 2 s; retries are on, but waiting that long is not allowed.
            ["Sidecar:Resilience:Retry:MaxRetries"] = "2",
            ["Sidecar:Resilience:Retry:MaxRetryAfter"] = "00:00:01",
        });

        var response = await daemon.Client.CompleteAsync(Call("primary", "chat")).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal(("backup", 2), (response.ServedBy.KeyRef, response.ServedBy.Attempts));
        Assert.Equal(1, _upstream.CountFor("fake-429"));
    }

    [Fact]
    public async Task Stream_FailingBeforeItsFirstChunk_FallsBackAndTheFinalChunkSaysWho()
    {
        await using var daemon = await PrimaryAndBackupAsync("fake-503", "fake-1@backup");

        var chunks = await ReadStreamAsync(daemon, Call("primary", "chat"));

        Assert.Equal("fake: alpha beta gamma", string.Concat(chunks.Select(c => c.ContentDelta)));
        Assert.Equal(new ServedBy { KeyRef = "backup", Model = "fake-1@backup", Attempts = 2 }, chunks[^1].ServedBy);
        Assert.All(chunks[..^1], c => Assert.Null(c.ServedBy));
        Assert.Equal(1, _upstream.CountFor("fake-503"));
    }

    [Fact]
    public async Task Stream_BrokenAfterItsFirstChunk_DoesNotFallBack()
    {
        await using var daemon = await PrimaryAndBackupAsync("fake-cut", "fake-1@backup");

        var received = new List<CompleteChunk>();
        await RpcAssert.FailsAsync(
            async () =>
            {
                using var call = daemon.Client.StreamComplete(Call("primary", "chat"));
                await foreach (var chunk in call.ResponseStream.ReadAllAsync())
                {
                    received.Add(chunk);
                }
            },
            StatusCode.Unavailable,
            "UPSTREAM_STREAM_BROKEN");

        Assert.NotEmpty(received);
        Assert.Equal(0, _upstream.CountFor("fake-1@backup"));
    }

    [Fact]
    public async Task Complete_400FromThePrimary_DoesNotFallBackAndListsTheAttempt()
    {
        await using var daemon = await PrimaryAndBackupAsync("fake-400", "fake-1@backup");

        var status = await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Call("primary", "chat")).ResponseAsync, StatusCode.InvalidArgument, "UPSTREAM_REJECTED");

        Assert.Equal(0, _upstream.CountFor("fake-1@backup"));
        Assert.Equal("primary:UPSTREAM_REJECTED", status!.GetDetail<ErrorInfo>().Metadata["attempts"]);
    }

    [Fact]
    public async Task Complete_TooLittleOfTheCallersDeadlineLeft_DoesNotFallBack()
    {
        // Another attempt needs a minute; the caller gives the whole call thirty seconds.
        await using var daemon = await PrimaryAndBackupAsync("fake-500", "fake-1@backup", new Dictionary<string, string> { ["Sidecar:Resilience:Retry:MinAttemptTime"] = "00:01:00" });

        var call = daemon.Client.CompleteAsync(Call("primary", "chat"), deadline: DateTime.UtcNow.AddSeconds(30));
        var status = await RpcAssert.FailsAsync(() => call.ResponseAsync, StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE");

        Assert.Equal("primary:UPSTREAM_UNAVAILABLE", status!.GetDetail<ErrorInfo>().Metadata["attempts"]);
        Assert.Equal(0, _upstream.CountFor("fake-1@backup"));
    }

    [Fact]
    public async Task Complete_EveryTargetFails_TheLastTargetsErrorListsEachAttempt()
    {
        await using var daemon = await PrimaryAndBackupAsync("fake-500", "fake-429");

        var status = await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Call("primary", "chat")).ResponseAsync, StatusCode.ResourceExhausted, "UPSTREAM_RATE_LIMITED");

        var info = status!.GetDetail<ErrorInfo>();
        Assert.Equal("primary:UPSTREAM_UNAVAILABLE,backup:UPSTREAM_RATE_LIMITED", info.Metadata["attempts"]);
        Assert.Equal("backup", info.Metadata["key_ref"]);
    }

    [Fact]
    public async Task Pool_OfTwo_200CallsSplitWithin40To60Percent()
    {
        await using var daemon = await PoolOfTwoAsync("team-1", "team-2");
        var servedBy = new ConcurrentDictionary<string, int>();

        // Four agents at once, so calls overlap and "fewest in flight" has work to do.
        await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (_, ct) =>
        {
            var response = await daemon.Client.CompleteAsync(Call("team", "fake-1"), cancellationToken: ct).ResponseAsync.WaitAsync(Daemon.Timeout, ct);
            servedBy.AddOrUpdate(response.ServedBy.KeyRef, 1, (_, n) => n + 1);
        });

        var byKey = _upstream.Requests.GroupBy(r => r.Authorization).ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(200, servedBy.Values.Sum());
        Assert.InRange(servedBy["team-1"], 80, 120);
        Assert.InRange(servedBy["team-2"], 80, 120);
        Assert.Equal(servedBy["team-1"], byKey[$"Bearer {Secret("team-1")}"]);
        Assert.Equal(servedBy["team-2"], byKey[$"Bearer {Secret("team-2")}"]);
    }

    [Fact]
    public async Task Pool_OneMembersBreakerOpen_EveryCallGoesToTheOther()
    {
        // Two failures in a row open a breaker, and it stays open for the rest of the test.
        await using var daemon = await PoolOfTwoAsync("broken", "healthy", new Dictionary<string, string>
        {
            ["Sidecar:Resilience:CircuitBreaker:MinimumThroughput"] = "2",
            ["Sidecar:Resilience:CircuitBreaker:BreakDuration"] = "00:05:00",
            ["Sidecar:Keys:broken:ModelMap:chat"] = "fake-500",
            ["Sidecar:Keys:healthy:ModelMap:chat"] = "fake-1@healthy",
        });
        var breakers = daemon.App.Services.GetRequiredService<CircuitBreakers>();
        var broken = daemon.App.Services.GetRequiredService<KeyResolver>().Resolve("broken");

        // Turns alternate, so within four calls the broken member failed twice: its breaker opens.
        for (var i = 0; i < 4; i++)
        {
            var answer = await daemon.Client.CompleteAsync(Call("team", "chat")).ResponseAsync.WaitAsync(Daemon.Timeout);
            Assert.Equal("healthy", answer.ServedBy.KeyRef);
        }

        Assert.True(breakers.Refuses(broken, "fake-500"));

        // The fallback does not hide the breaker: it is open in the metrics.
        var states = breakers.Snapshot().Where(b => b.Scope == CircuitBreakers.ModelScope && b.Name == "fake-500").ToList();
        Assert.Equal(Polly.CircuitBreaker.CircuitState.Open, Assert.Single(states).State);
        var failedBefore = _upstream.CountFor("fake-500");
        for (var i = 0; i < 20; i++)
        {
            var answer = await daemon.Client.CompleteAsync(Call("team", "chat")).ResponseAsync.WaitAsync(Daemon.Timeout);
            Assert.Equal(new ServedBy { KeyRef = "healthy", Model = "fake-1@healthy", Attempts = 1 }, answer.ServedBy);
        }

        Assert.Equal(2, failedBefore);
        Assert.Equal(failedBefore, _upstream.CountFor("fake-500"));
    }

    [Fact]
    public async Task Auth_ApiKey_SendsTheKeyInTheApiKeyHeaderWithTheExtraHeadersAndNoBearer()
    {
        var organization = $"org-{Guid.NewGuid():N}";
        var orgFile = Path.Combine(_keys.FullName, "org");
        await File.WriteAllTextAsync(orgFile, organization);
        await using var daemon = await StartAsync(new Dictionary<string, string>
        {
            ["Sidecar:Keys:azure:Auth"] = "api-key",
            ["Sidecar:Keys:azure:Headers:OpenAI-Organization"] = $"file:{orgFile}",
            ["Sidecar:Keys:azure:Headers:X-Team"] = "blue",
        }, "azure");
        daemon.AddSecret(organization);

        await daemon.Client.CompleteAsync(Call("azure", "fake-1")).ResponseAsync.WaitAsync(Daemon.Timeout);

        var request = Assert.Single(_upstream.Requests);
        Assert.Equal(Secret("azure"), request.Headers["api-key"]);
        Assert.Null(request.Authorization);
        Assert.Equal(organization, request.Headers["openai-organization"]);
        Assert.Equal("blue", request.Headers["x-team"]);
    }

    [Fact]
    public async Task Auth_None_SendsNoKeyAtAll()
    {
        await using var daemon = await StartAsync(new Dictionary<string, string>
        {
            ["Sidecar:Keys:local:Auth"] = "none",
            ["Sidecar:Keys:local:Endpoint"] = _upstream.Endpoint.ToString(),
        });

        await daemon.Client.CompleteAsync(Call("local", "fake-1")).ResponseAsync.WaitAsync(Daemon.Timeout);

        var request = Assert.Single(_upstream.Requests);
        Assert.Null(request.Authorization);
        Assert.False(request.Headers.ContainsKey("api-key"));
    }

    [Fact]
    public async Task ModelMap_AnAliasIsMappedPerTargetAndOtherNamesPassThrough()
    {
        // primary maps chat to its own name for it; its fallback would map it to another.
        var allowed = new Dictionary<string, string> { ["Sidecar:Keys:primary:Models:0"] = "chat", ["Sidecar:Keys:primary:Models:1"] = "fake-1" };
        await using var daemon = await PrimaryAndBackupAsync("fake-1@gpt-4o-2024-08-06", "fake-1@azure-deployment", allowed);

        var mapped = await daemon.Client.CompleteAsync(Call("primary", "chat")).ResponseAsync.WaitAsync(Daemon.Timeout);
        var passed = await daemon.Client.CompleteAsync(Call("primary", "fake-1")).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal(new ServedBy { KeyRef = "primary", Model = "fake-1@gpt-4o-2024-08-06", Attempts = 1 }, mapped.ServedBy);
        Assert.Equal(new ServedBy { KeyRef = "primary", Model = "fake-1", Attempts = 1 }, passed.ServedBy);
        Assert.Equal(["fake-1@gpt-4o-2024-08-06", "fake-1"], _upstream.Requests.Select(r => r.Model));

        // The alias is the allow-list's name: the upstream name is not one an agent may send.
        await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Call("primary", "fake-1@gpt-4o-2024-08-06")).ResponseAsync, StatusCode.PermissionDenied, "MODEL_NOT_ALLOWED");
    }

    [Fact]
    public async Task Internal_KeyRefNamedDirectly_IsForbiddenButServesThroughItsPool()
    {
        await using var daemon = await StartAsync(new Dictionary<string, string>
        {
            ["Sidecar:Keys:team:Pool:0"] = "member",
            ["Sidecar:Keys:member:Internal"] = "true",
        }, "member");

        await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Call("member", "fake-1")).ResponseAsync, StatusCode.PermissionDenied, "KEY_REF_FORBIDDEN");
        var served = await daemon.Client.CompleteAsync(Call("team", "fake-1")).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal("member", served.ServedBy.KeyRef);
        Assert.Single(_upstream.Requests);
    }

    [Fact]
    public async Task Start_WithBrokenRouting_ExitsWithCode2AndListsEveryProblem()
    {
        await using var daemon = SidecarProcess.Start(
        [
            $"--Sidecar:Socket={Path.Combine(_keys.FullName, "sidecar.sock")}",
            "--Sidecar:HealthPort=0",
            "--Sidecar:HttpPort=0",
            "--Sidecar:Keys:a:Provider=echo",
            "--Sidecar:Keys:a:Fallbacks:0=b",
            "--Sidecar:Keys:b:Provider=echo",
            "--Sidecar:Keys:b:Fallbacks:0=a",
            "--Sidecar:Keys:pool:Pool:0=nowhere",
            "--Sidecar:Keys:both:Pool:0=a",
            "--Sidecar:Keys:both:ApiKey=env:BOTH_KEY",
            "--Sidecar:Keys:c:Provider=echo",
            "--Sidecar:Keys:c:Auth=basic",
            "--Sidecar:Keys:c:FallbackOn:0=TEAPOT",
        ]);

        Assert.Equal(2, await daemon.WaitForExitAsync());
        var stderr = daemon.StandardError;
        Assert.Contains("Sidecar:Keys:a: Pool and Fallbacks form a cycle: a → b → a.", stderr);
        Assert.Contains("Sidecar:Keys:pool:Pool: 'nowhere' is not a configured key ref", stderr);
        Assert.Contains("Sidecar:Keys:both has both a Pool and a target of its own (ApiKey)", stderr);
        Assert.Contains("Sidecar:Keys:c:Auth must be", stderr);
        Assert.Contains("Sidecar:Keys:c:FallbackOn: 'TEAPOT' is not a sidecar.v1.ErrorReason name", stderr);
        Assert.Equal(5, stderr.Split('\n').Count(l => l.TrimStart().StartsWith("- ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Reload_BrokenRouting_IsRefusedAndThePreviousRoutesStay()
    {
        var configFile = Path.Combine(_keys.FullName, "sidecar.json");
        await File.WriteAllTextAsync(configFile, """{ "Sidecar": { "Keys": { "team": { "Pool": [ "m1" ] }, "m1": { "Provider": "echo" }, "m2": { "Provider": "echo" } } } }""");
        await using var daemon = await Daemon.StartAsync(_upstream, new Dictionary<string, string> { ["config"] = configFile });
        var live = daemon.App.Services.GetRequiredService<LiveOptions>();
        Assert.Equal("m1", (await daemon.Client.CompleteAsync(Call("team", "echo-1")).ResponseAsync.WaitAsync(Daemon.Timeout)).ServedBy.KeyRef);

        foreach (var (broken, problem) in new[]
        {
            ("""{ "Sidecar": { "Keys": { "team": { "Pool": [ "m2" ], "Fallbacks": [ "m1" ] }, "m1": { "Provider": "echo", "Fallbacks": [ "team" ] }, "m2": { "Provider": "echo" } } } }""",
                "Sidecar:Keys:m1: Pool and Fallbacks form a cycle: m1 → team → m1."),
            ("""{ "Sidecar": { "Keys": { "team": { "Pool": [ "m3" ] }, "m1": { "Provider": "echo" }, "m2": { "Provider": "echo" } } } }""",
                "Sidecar:Keys:team:Pool: 'm3' is not a configured key ref"),
            ("""{ "Sidecar": { "Keys": { "team": { "Pool": [ "m2" ], "Provider": "echo" }, "m1": { "Provider": "echo" }, "m2": { "Provider": "echo" } } } }""",
                "Sidecar:Keys:team has both a Pool and a target of its own (Provider)"),
        })
        {
            await File.WriteAllTextAsync(configFile, broken);

            // One write may be seen as more than one change: wait for the reload that refused this one.
            while (true)
            {
                var reload = live.NextReload;
                if (daemon.LogLines.Any(l => l.Contains("Configuration change refused", StringComparison.Ordinal) && l.Contains(problem, StringComparison.Ordinal)))
                {
                    break;
                }

                await reload.WaitAsync(Daemon.Timeout);
            }

            Assert.Equal("m1", (await daemon.Client.CompleteAsync(Call("team", "echo-1")).ResponseAsync.WaitAsync(Daemon.Timeout)).ServedBy.KeyRef);
        }

        Assert.DoesNotContain(daemon.LogLines, l => l.Contains("Configuration reloaded", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OpenAIDoor_AFallbackAnswers_TheServedByHeadersSayWho(bool stream)
    {
        await using var daemon = await PrimaryAndBackupAsync("fake-503", "fake-1@backup");
        using var http = UnixHttp.Client(Path.Combine(Path.GetDirectoryName(daemon.Socket)!, "openai.sock"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"chat","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", "primary");

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(stream ? "data: [DONE]" : "fake: hi", body);
        Assert.Equal("backup", Assert.Single(response.Headers.GetValues("X-Sidecar-Served-By")));
        Assert.Equal("fake-1@backup", Assert.Single(response.Headers.GetValues("X-Sidecar-Served-Model")));
        Assert.Equal("2", Assert.Single(response.Headers.GetValues("X-Sidecar-Attempts")));
    }

    private static CompleteRequest Call(string keyRef, string model)
    {
        var request = Requests.Fake(model);
        request.KeyRef = keyRef;
        return request;
    }

    private static async Task<List<CompleteChunk>> ReadStreamAsync(Daemon daemon, CompleteRequest request)
    {
        var chunks = new List<CompleteChunk>();
        using var call = daemon.Client.StreamComplete(request);
        await foreach (var chunk in call.ResponseStream.ReadAllAsync().WithCancellation(new CancellationTokenSource(Daemon.Timeout).Token))
        {
            chunks.Add(chunk);
        }

        return chunks;
    }

    /// <summary>Key ref <c>primary</c> calls <paramref name="primaryModel"/> for <c>chat</c> and falls back to <c>backup</c>, which calls <paramref name="backupModel"/>.</summary>
    private Task<Daemon> PrimaryAndBackupAsync(string primaryModel, string backupModel, Dictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>(settings ?? [])
        {
            ["Sidecar:Keys:primary:ModelMap:chat"] = primaryModel,
            ["Sidecar:Keys:primary:Fallbacks:0"] = "backup",
            ["Sidecar:Keys:backup:ModelMap:chat"] = backupModel,
        };
        return StartAsync(all, "primary", "backup");
    }

    /// <summary>Key ref <c>team</c> is a pool of two internal targets.</summary>
    private Task<Daemon> PoolOfTwoAsync(string first, string second, Dictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>(settings ?? [])
        {
            ["Sidecar:Keys:team:Pool:0"] = first,
            ["Sidecar:Keys:team:Pool:1"] = second,
            [$"Sidecar:Keys:{first}:Internal"] = "true",
            [$"Sidecar:Keys:{second}:Internal"] = "true",
        };
        return StartAsync(all, first, second);
    }

    /// <summary>The key of a target: one per key ref, so the upstream tells them apart.</summary>
    private string Secret(string keyRef) => $"sk-{keyRef}-{_keys.Name}";

    /// <summary>A daemon whose <paramref name="targets"/> each have a key file and the fake upstream as endpoint; no retries unless set.</summary>
    private async Task<Daemon> StartAsync(Dictionary<string, string> settings, params string[] targets)
    {
        var all = new Dictionary<string, string> { ["Sidecar:Resilience:Retry:MaxRetries"] = "0" };
        foreach (var target in targets)
        {
            var file = Path.Combine(_keys.FullName, target + ".key");
            await File.WriteAllTextAsync(file, Secret(target));
            all[$"Sidecar:Keys:{target}:ApiKey"] = $"file:{file}";
            all[$"Sidecar:Keys:{target}:Endpoint"] = _upstream.Endpoint.ToString();
        }

        foreach (var (name, value) in settings)
        {
            all[name] = value;
        }

        var daemon = await Daemon.StartAsync(_upstream, all);
        foreach (var target in targets)
        {
            daemon.AddSecret(Secret(target));
        }

        return daemon;
    }

    /// <summary>Every measurement of one instrument of this daemon's own meter, from now on.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();

        private Recorder(Daemon daemon, string instrumentName)
        {
            var meter = daemon.App.Services.GetRequiredService<SidecarMetrics>().Meter;
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == meter && instrument.Name == instrumentName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) => Measurements.Enqueue(new Measurement(value, tags.ToArray())));
            _listener.SetMeasurementEventCallback<double>((_, value, tags, _) => Measurements.Enqueue(new Measurement(value, tags.ToArray())));
            _listener.Start();
        }

        public ConcurrentQueue<Measurement> Measurements { get; } = new();

        public static Recorder Start(Daemon daemon, string instrumentName) => new(daemon, instrumentName);

        public void Dispose() => _listener.Dispose();
    }

    private sealed record Measurement(double Value, KeyValuePair<string, object?>[] Tags)
    {
        public string? Tag(string name) => Tags.FirstOrDefault(t => t.Key == name).Value as string;
    }
}
