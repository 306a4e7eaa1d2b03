using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Sidecar.Configuration;

namespace Sidecar.FunctionalTests;

/// <summary>Metrics, tracing, caller authorization and configuration reload on the real daemon.</summary>
/// <remarks>
/// Not in parallel with other classes: OpenTelemetry listens to every meter named "Sidecar" in the
/// process, so another test's daemon would add its counts to this one's scrape.
/// </remarks>
[Collection(nameof(NotInParallel))]
public sealed partial class OperationsTests
{
    [Fact]
    public async Task Metrics_AfterAScriptedSequence_CountExactly()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var daemon = await Daemon.StartAsync(upstream);

        for (var i = 0; i < 3; i++)
        {
            await daemon.Client.CompleteAsync(Requests.Fake("fake-1")).ResponseAsync.WaitAsync(Daemon.Timeout);
        }

        var unknown = Requests.Fake("fake-1");
        unknown.KeyRef = "unknown";
        await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(unknown).ResponseAsync, StatusCode.NotFound, "KEY_REF_NOT_FOUND");
        await CompletionsTests.ReadAllAsync(daemon.Client.StreamComplete(Requests.Fake("fake-1")));

        var metrics = await ScrapeAsync(daemon);

        Assert.Equal(3, metrics.Value("sidecar_client_cache_hits_total"));
        Assert.Equal(1, metrics.Value("sidecar_client_cache_misses_total"));
        Assert.Equal(1, metrics.Value("sidecar_client_cache_creations_total"));
        Assert.Equal(1, metrics.Value("sidecar_client_cache_entries"));
        Assert.Equal(3, metrics.Value("sidecar_requests_total", ("rpc", "Complete"), ("code", "OK"), ("model", "fake-1")));
        Assert.Equal(1, metrics.Value("sidecar_requests_total", ("rpc", "Complete"), ("code", "NOT_FOUND")));
        Assert.Equal(1, metrics.Value("sidecar_requests_total", ("rpc", "StreamComplete"), ("code", "OK")));
        Assert.Equal(4 * 3, metrics.Value("sidecar_tokens_total", ("kind", "prompt"), ("key_ref", "fake"), ("model", "fake-1")));
        Assert.Equal(4 * 4, metrics.Value("sidecar_tokens_total", ("kind", "completion"), ("key_ref", "fake"), ("model", "fake-1")));
        Assert.Equal(4, metrics.Value("sidecar_upstream_attempts_total"));
        Assert.Equal(0, metrics.Value("sidecar_streams_in_flight"));
        Assert.Equal(1, metrics.Value("sidecar_stream_time_to_first_token_seconds_count"));
        Assert.Equal(4, metrics.Value("sidecar_request_overhead_seconds_count", ("rpc", "Complete")) + metrics.Value("sidecar_request_overhead_seconds_count", ("rpc", "StreamComplete")));
        Assert.True(metrics.Has("http_client_open_connections"), "System.Net.Http connection metrics are exported");
        Assert.True(metrics.Has("dotnet_gc_heap_total_allocated_bytes_total"), ".NET runtime metrics are exported");
    }

    [Fact]
    public async Task Metrics_JunkModelsAndHugeNames_NeitherTakeTheLabelsNorFloodTheScrapeOrTheLog()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var daemon = await Daemon.StartAsync(upstream, new Dictionary<string, string> { ["Sidecar:Keys:Team-C:Provider"] = "echo" });

        // More junk model names than there are label slots (100), on a key_ref that does not exist.
        for (var i = 0; i < 120; i++)
        {
            var junk = Requests.Fake($"junk-{i}");
            junk.KeyRef = "nonexistent";
            await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(junk).ResponseAsync, StatusCode.NotFound, "KEY_REF_NOT_FOUND");
        }

        var huge = Requests.Fake(new string('m', 1024 * 1024));
        huge.KeyRef = "nonexistent";
        await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(huge).ResponseAsync, StatusCode.InvalidArgument, "INVALID_REQUEST");
        await daemon.Client.CompleteAsync(Requests.Fake("fake-1")).ResponseAsync.WaitAsync(Daemon.Timeout);
        var echo = Requests.Echo("one two");
        echo.KeyRef = "team-c"; // key refs match the configuration without regard to case

        await daemon.Client.CompleteAsync(echo).ResponseAsync.WaitAsync(Daemon.Timeout);

        var metrics = await ScrapeAsync(daemon);
        Assert.Equal(1, metrics.Value("sidecar_requests_total", ("code", "OK"), ("model", "fake-1")));
        Assert.Equal(121, metrics.Value("sidecar_requests_total", ("model", "unknown")));
        Assert.DoesNotContain("junk-", metrics.Text);
        Assert.DoesNotContain("mmmmmmmm", metrics.Text);
        Assert.Equal(2, metrics.Value("sidecar_tokens_total", ("kind", "completion"), ("key_ref", "Team-C")));
        Assert.Equal(0, metrics.Value("sidecar_tokens_total", ("key_ref", "team-c")));
        var hugeLine = Assert.Single(daemon.LogLines, l => l.Contains("status=INVALID_ARGUMENT", StringComparison.Ordinal));
        Assert.Contains($"[cut: {1024 * 1024} chars]", hugeLine);
        Assert.True(daemon.LogLines.Max(l => l.Length) < 4096, "no log line holds the 1 MB name");
    }

    [Fact]
    public async Task Tracing_CallersTraceparent_ReachesTheUpstreamAndTheCallLogLine()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var daemon = await Daemon.StartAsync(upstream);
        const string traceId = "0af7651916cd43dd8448eb211c80319c";
        var headers = new Metadata { { "traceparent", $"00-{traceId}-b7ad6b7169203331-01" } };

        await daemon.Client.CompleteAsync(Requests.Fake("fake-1"), headers).ResponseAsync.WaitAsync(Daemon.Timeout);

        var seen = upstream.Requests.Single().Traceparent;
        Assert.NotNull(seen);
        Assert.Equal(traceId, seen.Split('-')[1]);
        Assert.Contains(daemon.LogLines, l => l.Contains("call Complete key_ref=fake model=fake-1 status=OK", StringComparison.Ordinal) && l.Contains($"trace_id={traceId}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Tracing_CallersTracestateAndBaggage_ReachTheUpstreamOnlyWhenConfigured(bool forward)
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var daemon = await Daemon.StartAsync(
            upstream,
            forward ? new Dictionary<string, string> { ["Sidecar:Upstream:ForwardTraceStateAndBaggage"] = "true" } : null);
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        const string callerSpan = "00f067aa0ba902b7";
        var headers = new Metadata
        {
            { "traceparent", $"00-{traceId}-{callerSpan}-01" },
            { "tracestate", "vendor=caller-state" },
            { "baggage", "user.email=someone%40example.com" },
        };

        await daemon.Client.CompleteAsync(Requests.Fake("fake-1"), headers).ResponseAsync.WaitAsync(Daemon.Timeout);

        var seen = upstream.Requests.Single().Headers;
        var parent = seen["traceparent"].Split('-');
        Assert.Equal(traceId, parent[1]);
        Assert.NotEqual(callerSpan, parent[2]);
        var baggage = seen.GetValueOrDefault("baggage") ?? seen.GetValueOrDefault("correlation-context");
        if (forward)
        {
            Assert.Equal("vendor=caller-state", seen.GetValueOrDefault("tracestate"));
            Assert.Contains("user.email", baggage);
        }
        else
        {
            Assert.False(seen.ContainsKey("tracestate"), "tracestate reached the upstream");
            Assert.Null(baggage);
        }
    }

    [Fact]
    public async Task Authorization_PeerUidAndGid_AreCheckedAgainstTheKeyRefsAllowLists()
    {
        var (uid, gid) = CurrentIds();
        await using var daemon = await Daemon.StartAsync(upstream: null, new Dictionary<string, string>
        {
            ["Sidecar:Keys:by-uid:Provider"] = "echo",
            ["Sidecar:Keys:by-uid:AllowedUids:0"] = uid.ToString(CultureInfo.InvariantCulture),
            ["Sidecar:Keys:by-gid:Provider"] = "echo",
            ["Sidecar:Keys:by-gid:AllowedGids:0"] = gid.ToString(CultureInfo.InvariantCulture),
            ["Sidecar:Keys:someone-else:Provider"] = "echo",
            ["Sidecar:Keys:someone-else:AllowedUids:0"] = "54321",
            ["Sidecar:Keys:someone-else:AllowedGids:0"] = "54321",
        });

        foreach (var allowed in new[] { "by-uid", "by-gid", "echo" })
        {
            var request = Requests.Echo("hi");
            request.KeyRef = allowed;
            Assert.Equal("hi", (await daemon.Client.CompleteAsync(request).ResponseAsync.WaitAsync(Daemon.Timeout)).Message.Content);
        }

        var denied = Requests.Echo("hi");
        denied.KeyRef = "someone-else";
        var status = await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(denied).ResponseAsync, StatusCode.PermissionDenied, "KEY_REF_FORBIDDEN");
        Assert.Contains($"uid {uid}", status!.Message);
    }

    [Fact]
    public async Task Authorization_ACallerWithAnotherUid_IsAllowedOrDeniedByItsOwnUid()
    {
        const int nobody = 65534;
        await using var daemon = await Daemon.StartAsync(upstream: null, new Dictionary<string, string>
        {
            ["Sidecar:SocketMode"] = "0666",
            ["Sidecar:Keys:for-nobody:Provider"] = "echo",
            ["Sidecar:Keys:for-nobody:AllowedUids:0"] = nobody.ToString(CultureInfo.InvariantCulture),
            ["Sidecar:Keys:for-root:Provider"] = "echo",
            ["Sidecar:Keys:for-root:AllowedUids:0"] = "0",
        });
        File.SetUnixFileMode(daemon.Directory, (UnixFileMode)Convert.ToInt32("755", 8));
        var client = PythonPeer.Prepare(daemon.Directory);

        var output = await PythonPeer.RunAsAsync(nobody, client, daemon.Socket, ["for-nobody", "for-root", "echo"]);

        Assert.Equal(["for-nobody OK", "for-root PERMISSION_DENIED KEY_REF_FORBIDDEN", "echo OK"], output);
    }

    [Fact]
    public async Task Reload_ChangedKeyRefsApplyAndAnInvalidConfigurationIsRefused()
    {
        var configFile = Path.Combine(Path.GetTempPath(), $"sidecar-reload-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(configFile, """{ "Sidecar": { "Keys": { "reload-a": { "Provider": "echo" } } } }""");
        try
        {
            await using var daemon = await Daemon.StartAsync(upstream: null, new Dictionary<string, string> { ["config"] = configFile });
            var live = daemon.App.Services.GetRequiredService<LiveOptions>();
            await AssertAnswersAsync(daemon, "reload-a");
            await AssertNotFoundAsync(daemon, "reload-b");

            var reload = live.NextReload;
            await File.WriteAllTextAsync(configFile, """{ "Sidecar": { "Keys": { "reload-b": { "Provider": "echo" } } } }""");
            await reload.WaitAsync(Daemon.Timeout);

            await AssertAnswersAsync(daemon, "reload-b");
            await AssertNotFoundAsync(daemon, "reload-a");

            reload = live.NextReload;
            await File.WriteAllTextAsync(configFile, """{ "Sidecar": { "Keys": { "broken": { "Provider": "mystery" } } } }""");
            await reload.WaitAsync(Daemon.Timeout);

            await AssertAnswersAsync(daemon, "reload-b");
            await AssertNotFoundAsync(daemon, "broken");
            // A refused reload changes nothing a caller can see: the log line is how the operator learns of it.
            Assert.Contains(daemon.LogLines, l => l.Contains("Configuration change refused", StringComparison.Ordinal) && l.Contains("Sidecar:Keys:broken:Provider", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(configFile);
        }
    }

    [Fact]
    public async Task Reload_KeyRefMovedOffAnEndpointWhoseBreakerIsOpen_TheBreakerLeavesTheGaugeAndCallsReachTheNewEndpoint()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        using var dir = TempFolder.Create("sidecar-breakers-");
        var keyFile = Path.Combine(dir.FullName, "moving.key");
        await File.WriteAllTextAsync(keyFile, "sk-moving");
        var configFile = Path.Combine(dir.FullName, "sidecar.json");
        string Config(string endpoint) => $$"""{ "Sidecar": { "Keys": { "moving": { "ApiKey": "file:{{keyFile}}", "Endpoint": "{{endpoint}}" } } } }""";

        // Nothing listens on port 9 of loopback: every attempt is a refused connection, counted by the endpoint's breaker.
        await File.WriteAllTextAsync(configFile, Config("http://127.0.0.1:9/v1"));
        await using var daemon = await Daemon.StartAsync(upstream, new Dictionary<string, string>
        {
            ["config"] = configFile,
            ["Sidecar:Resilience:Retry:MaxRetries"] = "0",
            ["Sidecar:Resilience:CircuitBreaker:MinimumThroughput"] = "2",
            ["Sidecar:Resilience:CircuitBreaker:BreakDuration"] = "00:05:00",
        });
        daemon.AddSecret("sk-moving");
        var call = Requests.Fake("fake-1", "moved");
        call.KeyRef = "moving";
        for (var i = 0; i < 2; i++)
        {
            await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(call).ResponseAsync, StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE");
        }

        await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(call).ResponseAsync, StatusCode.Unavailable, "CIRCUIT_OPEN");
        Assert.Equal(2, (await ScrapeAsync(daemon)).Value("sidecar_circuit_state", ("scope", "endpoint"), ("endpoint", "127.0.0.1:9")));

        var reload = daemon.App.Services.GetRequiredService<LiveOptions>().NextReload;
        await File.WriteAllTextAsync(configFile, Config(upstream.Endpoint.ToString()));
        await reload.WaitAsync(Daemon.Timeout);

        Assert.Equal("fake: moved", (await daemon.Client.CompleteAsync(call).ResponseAsync.WaitAsync(Daemon.Timeout)).Message.Content);
        var metrics = await ScrapeAsync(daemon);
        Assert.False(metrics.Has("sidecar_circuit_state", ("endpoint", "127.0.0.1:9")));
        Assert.Equal(0, metrics.Value("sidecar_circuit_state", ("scope", "endpoint"), ("endpoint", upstream.Endpoint.Authority)));
        Assert.Contains(daemon.LogLines, l => l.Contains("A configuration reload dropped 1 circuit breakers that were not closed", StringComparison.Ordinal) && l.Contains("endpoint 127.0.0.1:9", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reload_StartOnlySettingChangedWithANewKeyRef_IsRefusedAsAWholeAndTheDaemonKeepsServing()
    {
        using var dir = TempFolder.Create("sidecar-reload-");
        var configFile = Path.Combine(dir.FullName, "sidecar.json");
        await File.WriteAllTextAsync(configFile, """{ "Sidecar": { "Keys": { "reload-a": { "Provider": "echo" } } } }""");
        await using var daemon = await Daemon.StartAsync(upstream: null, new Dictionary<string, string> { ["config"] = configFile });
        var reload = daemon.App.Services.GetRequiredService<LiveOptions>().NextReload;

        // The TCP ports' cap is set when their listeners are made: taken, the new key ref would
        // serve and the cap would be logged as reloaded while the old one stays in force.
        await File.WriteAllTextAsync(
            configFile,
            """{ "Sidecar": { "PortMaxConnections": 8, "Keys": { "reload-a": { "Provider": "echo" }, "reload-b": { "Provider": "echo" } } } }""");
        await reload.WaitAsync(Daemon.Timeout);

        await AssertNotFoundAsync(daemon, "reload-b");
        await AssertAnswersAsync(daemon, "reload-a");
        using var http = daemon.HttpPortClient();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/healthz").WaitAsync(Daemon.Timeout)).StatusCode);
        Assert.Contains(daemon.LogLines, l => l.Contains("Configuration change refused", StringComparison.Ordinal) && l.Contains("Sidecar:PortMaxConnections is read at start only", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reload_ConfigFileDeleted_IsRefusedAndTheKeyRefsCallerRestrictionStays()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var restricted = await RestrictedTeamXAsync(upstream);
        var (daemon, configFile) = (restricted.Daemon, restricted.ConfigFile);
        await AssertTeamXForbiddenAsync(daemon);

        var reload = daemon.App.Services.GetRequiredService<LiveOptions>().NextReload;
        File.Delete(configFile);
        await reload.WaitAsync(Daemon.Timeout);

        // The keys directory also holds a file team-x, open to anyone: without the configured entry this
        // caller (not in AllowedUids) would be served with that key.
        await AssertTeamXForbiddenAsync(daemon);
        Assert.Contains(daemon.LogLines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("Configuration change refused", StringComparison.Ordinal) && l.Contains($"{configFile} is gone", StringComparison.Ordinal));
        Assert.Empty(upstream.Requests);
    }

    [Theory]
    [InlineData("""{ "Sidecar": { "Keys": { "team-x": """)]
    [InlineData("")]
    [InlineData("[1, 2]")]
    public async Task Reload_ConfigFileThatIsNotJson_IsRefusedWithAnErrorLineAndTheLastGoodConfigurationStays(string broken)
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var restricted = await RestrictedTeamXAsync(upstream);
        var (daemon, configFile) = (restricted.Daemon, restricted.ConfigFile);
        var live = daemon.App.Services.GetRequiredService<LiveOptions>();

        var reload = live.NextReload;
        await File.WriteAllTextAsync(configFile, broken);
        await reload.WaitAsync(Daemon.Timeout);

        await AssertTeamXForbiddenAsync(daemon);
        Assert.Contains(daemon.LogLines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("Configuration change refused", StringComparison.Ordinal) && l.Contains($"{configFile} could not be read as JSON settings", StringComparison.Ordinal));

        // A good file afterwards applies as usual: here it lets this caller in.
        reload = live.NextReload;
        await File.WriteAllTextAsync(configFile, TeamXConfig(allowedUid: CurrentIds().Uid));
        await reload.WaitAsync(Daemon.Timeout);
        await AssertAnswersAsync(daemon, "team-x");
    }

    /// <summary>
    /// A daemon whose <c>--config</c> file restricts key ref team-x to another uid, while its keys
    /// directory (set on the command line) also holds a file team-x.
    /// </summary>
    private static async Task<RestrictedDaemon> RestrictedTeamXAsync(FakeUpstreamServer upstream)
    {
        var dir = Directory.CreateTempSubdirectory("sidecar-reload-");
        var keys = Directory.CreateDirectory(Path.Combine(dir.FullName, "keys"));
        await File.WriteAllTextAsync(Path.Combine(keys.FullName, "team-x"), "sk-directory-team-x");
        var configFile = Path.Combine(dir.FullName, "sidecar.json");
        await File.WriteAllTextAsync(configFile, TeamXConfig(allowedUid: 54321));
        var daemon = await Daemon.StartAsync(upstream, new Dictionary<string, string>
        {
            ["config"] = configFile,
            ["Sidecar:KeysDirectory"] = keys.FullName,
            ["Sidecar:DefaultEndpoint"] = upstream.Endpoint.ToString(),
        });
        daemon.AddSecret("sk-directory-team-x");
        return new RestrictedDaemon(daemon, configFile, dir);
    }

    private static string TeamXConfig(uint allowedUid) =>
        $$"""{ "Sidecar": { "Keys": { "team-x": { "Provider": "echo", "AllowedUids": [ {{allowedUid}} ] } } } }""";

    private static async Task AssertTeamXForbiddenAsync(Daemon daemon)
    {
        var request = Requests.Fake("fake-1");
        request.KeyRef = "team-x";
        await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(request).ResponseAsync, StatusCode.PermissionDenied, "KEY_REF_FORBIDDEN");
    }

    private sealed record RestrictedDaemon(Daemon Daemon, string ConfigFile, DirectoryInfo Folder) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Daemon.DisposeAsync();
            Folder.Delete(recursive: true);
        }
    }

    private static async Task AssertAnswersAsync(Daemon daemon, string keyRef)
    {
        var request = Requests.Echo("still here");
        request.KeyRef = keyRef;
        var response = await daemon.Client.CompleteAsync(request).ResponseAsync.WaitAsync(Daemon.Timeout);
        Assert.Equal("still here", response.Message.Content);
    }

    private static Task AssertNotFoundAsync(Daemon daemon, string keyRef)
    {
        var request = Requests.Echo("x");
        request.KeyRef = keyRef;
        return RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(request).ResponseAsync, StatusCode.NotFound, "KEY_REF_NOT_FOUND");
    }

    private static (uint Uid, uint Gid) CurrentIds()
    {
        var status = File.ReadAllLines("/proc/self/status");
        static uint Field(string[] lines, string name) =>
            uint.Parse(lines.First(l => l.StartsWith(name, StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return (Field(status, "Uid:"), Field(status, "Gid:"));
    }

    private static async Task<Scrape> ScrapeAsync(Daemon daemon)
    {
        using var http = daemon.HttpPortClient();
        var text = await http.GetStringAsync("/metrics").WaitAsync(Daemon.Timeout);
        return new Scrape(text);
    }

    /// <summary>A Prometheus text scrape, read by series name and labels.</summary>
    private sealed partial class Scrape(string text)
    {
        private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _series = Parse(text);

        public string Text { get; } = text;

        /// <summary>Whether a series of that name has the given labels.</summary>
        public bool Has(string name, params (string Key, string Value)[] labels) => Matching(name, labels).Any();

        /// <summary>The sum over every series of that name whose labels include the given ones.</summary>
        public double Value(string name, params (string Key, string Value)[] labels) => Matching(name, labels).Sum(s => s.Value);

        private IEnumerable<(string Name, Dictionary<string, string> Labels, double Value)> Matching(string name, (string Key, string Value)[] labels) =>
            _series.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));

        private static List<(string, Dictionary<string, string>, double)> Parse(string text)
        {
            var series = new List<(string, Dictionary<string, string>, double)>();
            foreach (var line in text.Split('\n'))
            {
                var match = SeriesLine().Match(line);
                if (!match.Success)
                {
                    continue;
                }

                var labels = LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
                series.Add((match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
            }

            return series;
        }

        [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)")]
        private static partial Regex SeriesLine();

        [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
        private static partial Regex LabelPair();
    }
}
