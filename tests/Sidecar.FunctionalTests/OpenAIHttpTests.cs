using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Sidecar.FunctionalTests;

/// <summary>
/// The OpenAI-compatible door on its own Unix socket: the request and answer shapes field by field, every
/// error row, disconnects, limits and authorization, all through the same pipeline as gRPC.
/// </summary>
public sealed class OpenAIHttpTests : DaemonTests
{
    private readonly int _tcpPort = Daemon.FreePort();
    private HttpClient _http = null!;

    protected override Dictionary<string, string> Settings()
    {
        var settings = new Dictionary<string, string>
        {
            // Each upstream failure maps straight to its status here; retries have their own tests.
            ["Sidecar:Resilience:Retry:MaxRetries"] = "0",
            ["Sidecar:OpenAI:Port"] = _tcpPort.ToString(),
            ["Sidecar:Keys:aliased:ModelMap:fake-tools"] = "fake-tools",
            ["Sidecar:Keys:aliased-pool:Pool:0"] = "aliased",
        };

        // Targets of their own on the fake upstream, each with the setting its tests are about.
        foreach (var (keyRef, setting, value) in new[]
        {
            ("limited", "Models:0", "fake-allowed"),
            ("guarded", "AllowedUids:0", "4242"),
            ("rated", "Limits:RequestsPerMinute", "1"),
            ("aliased", "ModelMap:gpt-4o", "fake-1"),
        })
        {
            settings[$"Sidecar:Keys:{keyRef}:ApiKey"] = "env:PATH";
            settings[$"Sidecar:Keys:{keyRef}:Endpoint"] = Upstream.Endpoint.ToString();
            settings[$"Sidecar:Keys:{keyRef}:{setting}"] = value;
        }

        return settings;
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _http = UnixHttp.Client(OpenAISocket);
    }

    public override async Task DisposeAsync()
    {
        _http.Dispose();
        await base.DisposeAsync();
    }

    private string OpenAISocket => Path.Combine(Path.GetDirectoryName(Daemon.Socket)!, "openai.sock");

    [Fact]
    public async Task Chat_Unary_AnswersInTheChatCompletionShapeAndSendsTheSecretNotTheKeyRef()
    {
        using var response = await PostAsync("fake", """{"model":"fake-1","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"ping"}],"temperature":0,"max_completion_tokens":20,"seed":7,"stop":"END","user":"u-1","metadata":{"team":"a"}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.StartsWith("chatcmpl-fake-", body["id"]!.GetValue<string>());
        Assert.Equal("chat.completion", body["object"]!.GetValue<string>());
        Assert.True(body["created"]!.GetValue<long>() > 1_700_000_000);
        Assert.Equal("fake-1", body["model"]!.GetValue<string>());
        var choice = Assert.Single(body["choices"]!.AsArray())!;
        Assert.Equal(0, choice["index"]!.GetValue<int>());
        Assert.Equal("assistant", choice["message"]!["role"]!.GetValue<string>());
        Assert.Equal("fake: ping", choice["message"]!["content"]!.GetValue<string>());
        Assert.Equal("stop", choice["finish_reason"]!.GetValue<string>());
        Assert.Equal(3, body["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(2, body["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal(5, body["usage"]!["total_tokens"]!.GetValue<int>());

        var seen = Assert.Single(Upstream.Requests);
        Assert.Equal($"Bearer {Daemon.UpstreamKey}", seen.Authorization);
        Assert.Equal(0, seen.Body["temperature"]!.GetValue<double>());
        Assert.Equal(7, seen.Body["seed"]!.GetValue<long>());
        Assert.Equal("END", seen.Body["stop"]![0]!.GetValue<string>());
        Assert.Equal("u-1", seen.Body["user"]!.GetValue<string>());
        Assert.Equal("be brief", seen.Body["messages"]![0]!["content"]!.GetValue<string>());
        // The door's calls get the same per-call log line as gRPC's (docs/operations.md), under their own rpc name.
        Assert.Contains(Daemon.LogLines, l => l.Contains("call openai.chat.completions key_ref=fake model=fake-1 status=OK", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Chat_ContentAsTextParts_IsJoinedIntoOneMessage()
    {
        using var response = await PostAsync("fake", """{"model":"fake-1","messages":[{"role":"user","content":[{"type":"text","text":"one "},{"type":"text","text":"two"}]}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("fake: one two", body["choices"]![0]!["message"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Chat_Stream_SendsChunksThenFinishThenUsageThenDone()
    {
        using var response = await PostAsync("fake", """{"model":"fake-1","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"one two"}]}""", stream: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = await ReadEventsAsync(response);
        Assert.Equal("[DONE]", events[^1].Data);
        Assert.All(events, e => Assert.Null(e.Name));
        var chunks = events[..^1].Select(e => JsonNode.Parse(e.Data)!).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c["object"]!.GetValue<string>()));
        Assert.Single(chunks.Select(c => c["id"]!.GetValue<string>()).Distinct());
        Assert.Equal("assistant", chunks[0]["choices"]![0]!["delta"]!["role"]!.GetValue<string>());
        var withChoices = chunks.Where(c => c["choices"]!.AsArray().Count > 0).ToList();
        Assert.Equal("fake: one two", string.Concat(withChoices.Select(c => c["choices"]![0]!["delta"]!["content"]?.GetValue<string>())));
        Assert.Equal(["stop"], withChoices.Select(c => c["choices"]![0]!["finish_reason"]?.GetValue<string>()).OfType<string>());
        Assert.Equal("stop", withChoices[^1]["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.All(withChoices, c => Assert.Null(c["usage"]));

        var usage = chunks[^1];
        Assert.Empty(usage["choices"]!.AsArray());
        Assert.Equal(2, usage["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(3, usage["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Chat_StreamWithoutIncludeUsage_SendsNoUsage()
    {
        using var response = await PostAsync("fake", """{"model":"fake-1","stream":true,"messages":[{"role":"user","content":"hi"}]}""", stream: true);

        var events = await ReadEventsAsync(response);
        Assert.Equal("[DONE]", events[^1].Data);
        Assert.All(events[..^1], e => Assert.False(JsonNode.Parse(e.Data)!.AsObject().ContainsKey("usage")));
        Assert.All(events[..^1], e => Assert.Single(JsonNode.Parse(e.Data)!["choices"]!.AsArray()));
    }

    [Fact]
    public async Task Chat_ToolRoundTrip_MapsToolsAndToolCallsBothWays()
    {
        const string Tools = """[{"type":"function","function":{"name":"weather","description":"Weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]""";
        using var first = await PostAsync("fake", $$"""{"model":"fake-tools","tool_choice":"auto","parallel_tool_calls":true,"tools":{{Tools}},"messages":[{"role":"user","content":"weather?"}]}""");
        var answer = JsonNode.Parse(await first.Content.ReadAsStringAsync())!["choices"]![0]!;
        Assert.Equal("tool_calls", answer["finish_reason"]!.GetValue<string>());
        Assert.Null(answer["message"]!["content"]);
        var call = Assert.Single(answer["message"]!["tool_calls"]!.AsArray())!;
        Assert.Equal("call_1", call["id"]!.GetValue<string>());
        Assert.Equal("function", call["type"]!.GetValue<string>());
        Assert.Equal("weather", call["function"]!["name"]!.GetValue<string>());
        Assert.Equal("""{"city":"Paris"}""", call["function"]!["arguments"]!.GetValue<string>());
        var sentTool = Upstream.Requests.Last().Body["tools"]![0]!["function"]!;
        Assert.Equal("object", sentTool["parameters"]!["type"]!.GetValue<string>());

        using var second = await PostAsync("fake", $$$"""
            {"model":"fake-tools","tools":{{{Tools}}},"messages":[
              {"role":"user","content":"weather?"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"sunny"}]}
            """);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var final = JsonNode.Parse(await second.Content.ReadAsStringAsync())!["choices"]![0]!;
        Assert.Equal("tool call_1 said: sunny", final["message"]!["content"]!.GetValue<string>());
        var relayed = Upstream.Requests.Last().Body["messages"]!.AsArray();
        Assert.Equal("call_1", relayed[1]!["tool_calls"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("call_1", relayed[2]!["tool_call_id"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"model":"fake-1","logit_bias":{"1":2},"messages":[{"role":"user","content":"hi"}]}""", "logit_bias")]
    [InlineData("""{"model":"fake-1","n":2,"messages":[{"role":"user","content":"hi"}]}""", "n")]
    [InlineData("""{"model":"fake-1","messages":[{"role":"robot","content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"model":"fake-1","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model":"fake-1","messages":[]}""", "messages")]
    [InlineData("""{"model":"fake-1","temperature":3,"messages":[{"role":"user","content":"hi"}]}""", "temperature")]
    [InlineData("""{"model":"fake-1","tools":[{"type":"function","function":{"name":"bad name"}}],"messages":[{"role":"user","content":"hi"}]}""", "tools[0].function.name")]
    [InlineData("""{"model":"fake-1","parallel_tool_calls":false,"messages":[{"role":"user","content":"hi"}]}""", "parallel_tool_calls")]
    [InlineData("""{"model":"fake-1","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""", "stream_options")]
    [InlineData("""[1,2]""", "body")]
    [InlineData("""{"model":""", "body")]
    public async Task Chat_InvalidRequest_Is400NamingTheFieldAndNeverReachesTheUpstream(string json, string param)
    {
        using var response = await PostAsync("fake", json);

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "invalid_request", "INVALID_REQUEST");
        Assert.Equal(param, error["param"]?.GetValue<string>());
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task Chat_NoBearer_Is401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json("""{"model":"fake-1","messages":[{"role":"user","content":"hi"}]}""") };
        using var response = await _http.SendAsync(request);

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "authentication_error", "missing_key_ref", "INVALID_REQUEST");
    }

    [Fact]
    public async Task Chat_UnknownKeyRef_Is404KeyRefNotFound()
    {
        using var response = await PostAsync("nobody", """{"model":"fake-1","messages":[{"role":"user","content":"hi"}]}""");

        await AssertErrorAsync(response, HttpStatusCode.NotFound, "invalid_request_error", "key_ref_not_found", "KEY_REF_NOT_FOUND");
    }

    [Fact]
    public async Task Chat_ModelOutsideTheAllowList_Is403()
    {
        using var response = await PostAsync("limited", """{"model":"fake-1","messages":[{"role":"user","content":"hi"}]}""");

        await AssertErrorAsync(response, HttpStatusCode.Forbidden, "permission_error", "model_not_allowed", "MODEL_NOT_ALLOWED");
    }

    [Fact]
    public async Task Chat_CallerNotAllowedOnTheKeyRef_Is403AsOnGrpc()
    {
        using var response = await PostAsync("guarded", """{"model":"fake-1","messages":[{"role":"user","content":"hi"}]}""");

        await AssertErrorAsync(response, HttpStatusCode.Forbidden, "permission_error", "key_ref_forbidden", "KEY_REF_FORBIDDEN");
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task Chat_Upstream429_Is429WithRetryAfter()
    {
        using var response = await PostAsync("fake", """{"model":"fake-429","messages":[{"role":"user","content":"hi"}]}""");

        await AssertErrorAsync(response, HttpStatusCode.TooManyRequests, "rate_limit_error", "upstream_rate_limited", "UPSTREAM_RATE_LIMITED");
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        Assert.Equal("2000", response.Headers.GetValues("retry-after-ms").Single());
    }

    [Fact]
    public async Task Chat_LocalRateLimit_Is429LocalLimitAsOnGrpc()
    {
        using var first = await PostAsync("rated", """{"model":"fake-1","messages":[{"role":"user","content":"hi"}]}""");
        using var second = await PostAsync("rated", """{"model":"fake-1","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await AssertErrorAsync(second, HttpStatusCode.TooManyRequests, "rate_limit_error", "local_limit", "LOCAL_LIMIT");
        Assert.NotNull(second.Headers.RetryAfter?.Delta);
        Assert.Single(Upstream.Requests);
    }

    [Theory]
    [InlineData("fake-503", HttpStatusCode.ServiceUnavailable, "upstream_unavailable", "UPSTREAM_UNAVAILABLE")]
    [InlineData("fake-500", HttpStatusCode.ServiceUnavailable, "upstream_unavailable", "UPSTREAM_UNAVAILABLE")]
    [InlineData("fake-400", HttpStatusCode.BadRequest, "upstream_rejected", "UPSTREAM_REJECTED")]
    [InlineData("fake-404", HttpStatusCode.NotFound, "upstream_rejected", "UPSTREAM_REJECTED")]
    [InlineData("fake-401", HttpStatusCode.Unauthorized, "upstream_auth", "UPSTREAM_AUTH")]
    public async Task Chat_UpstreamFailure_MapsToItsHttpStatus(string model, HttpStatusCode status, string code, string reason)
    {
        using var response = await PostAsync("fake", $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""");

        var error = await AssertErrorAsync(response, status, null, code, reason);
        Assert.DoesNotContain(Daemon.UpstreamKey, error.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_CallerTimeoutHeader_Is504AndAbortsTheUpstreamRequest()
    {
        // A first call builds the client and opens the upstream connection, so the deadline is spent waiting on the upstream.
        using var warm = await PostAsync("fake", """{"model":"fake-1","messages":[{"role":"user","content":"hi"}]}""");
        using var request = Request("fake", """{"model":"fake-hang","messages":[{"role":"user","content":"hi"}]}""");
        request.Headers.Add("X-Sidecar-Timeout", "3s");
        var sending = _http.SendAsync(request);
        var hanging = await NextArrivalAsync("fake-hang");
        using var response = await sending.WaitAsync(Daemon.Timeout);

        await AssertErrorAsync(response, HttpStatusCode.GatewayTimeout, "server_error", "deadline_exceeded", "DEADLINE_EXCEEDED");
        Assert.True(await hanging.Ended.WaitAsync(Daemon.Timeout), "the upstream request should be aborted at the deadline");
    }

    [Fact]
    public async Task Chat_MalformedTimeoutHeader_Is400()
    {
        using var request = Request("fake", """{"model":"fake-1","messages":[{"role":"user","content":"hi"}]}""");
        request.Headers.Add("X-Sidecar-Timeout", "soon");
        using var response = await _http.SendAsync(request);

        var error = await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "invalid_request", "INVALID_REQUEST");
        Assert.Equal("X-Sidecar-Timeout", error["param"]!.GetValue<string>());
    }

    [Fact]
    public async Task Chat_ClientDisconnectsMidStream_AbortsTheUpstreamRequest()
    {
        using var cts = new CancellationTokenSource();
        using var request = Request("fake", """{"model":"fake-drip","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var upstreamRequest = await Upstream.NextRequestAsync(CancellationToken.None).AsTask().WaitAsync(Daemon.Timeout);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        Assert.StartsWith("data: ", await reader.ReadLineAsync(cts.Token).AsTask().WaitAsync(Daemon.Timeout));

        response.Dispose();

        Assert.True(await upstreamRequest.Ended.WaitAsync(Daemon.Timeout), "the upstream request should be aborted when the caller leaves");
    }

    [Fact]
    public async Task Chat_StreamBrokenAfterItStarted_EndsWithAnErrorEventAndNoDone()
    {
        using var response = await PostAsync("fake", """{"model":"fake-cut","stream":true,"messages":[{"role":"user","content":"one two three four five"}]}""", stream: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await ReadEventsAsync(response);
        Assert.DoesNotContain(events, e => e.Data == "[DONE]");
        var last = events[^1];
        Assert.Equal("error", last.Name);
        Assert.Equal("upstream_stream_broken", JsonNode.Parse(last.Data)!["error"]!["code"]!.GetValue<string>());
        Assert.True(events.Count > 1, "some content was relayed before the break");
    }

    [Fact]
    public async Task Models_WithAnAllowList_ListsIt()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "limited");
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("list", body["object"]!.GetValue<string>());
        Assert.Equal(["fake-allowed"], body["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));
        Assert.Equal(0, Upstream.ModelListRequests);
    }

    [Fact]
    public async Task Models_WithoutAnAllowList_ListsTheUpstreamsOnceThenFromTheCache()
    {
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "fake");
            using var response = await _http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal(["fake-1", "fake-tools"], body["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));
        }

        Assert.Equal(1, Upstream.ModelListRequests);
    }

    [Theory]
    [InlineData("aliased")]
    [InlineData("aliased-pool")]
    public async Task Models_TargetWithModelMap_ListsItsAliasesBesideTheUpstreamsNames(string keyRef)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", keyRef);
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!.AsArray();
        // fake-tools maps to itself: listed once.
        Assert.Equal(["fake-1", "fake-tools", "gpt-4o"], data.Select(m => m!["id"]!.GetValue<string>()));
        Assert.Equal("sidecar", data[2]!["owned_by"]!.GetValue<string>());
    }

    [Fact]
    public async Task Models_UnknownKeyRef_Is404()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "nobody");
        using var response = await _http.SendAsync(request);

        await AssertErrorAsync(response, HttpStatusCode.NotFound, "invalid_request_error", "key_ref_not_found", "KEY_REF_NOT_FOUND");
    }

    [Fact]
    public async Task TcpPort_ServesOpenKeyRefsAndRefusesRestrictedOnes()
    {
        using var tcp = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_tcpPort}/"), Timeout = Daemon.Timeout };

        using var open = await tcp.SendAsync(Request("fake", """{"model":"fake-1","messages":[{"role":"user","content":"hi"}]}"""));
        using var restricted = await tcp.SendAsync(Request("guarded", """{"model":"fake-1","messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        await AssertErrorAsync(restricted, HttpStatusCode.Forbidden, "permission_error", "key_ref_forbidden", "KEY_REF_FORBIDDEN");
    }

    [Fact]
    public async Task OtherListeners_NeverServeTheOpenAIApi()
    {
        using var metricsPort = Daemon.HttpPortClient();
        using var onMetricsPort = await metricsPort.SendAsync(Request("fake", """{"model":"fake-1","messages":[{"role":"user","content":"hi"}]}"""));

        using var grpcSocket = new HttpClient(UnixSocketHttp.Handler(Daemon.Socket)) { BaseAddress = new Uri("http://localhost/"), DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var onGrpcSocket = await grpcSocket.SendAsync(Request("fake", """{"model":"fake-1","messages":[{"role":"user","content":"hi"}]}""", HttpVersion.Version20));

        Assert.Equal(HttpStatusCode.NotFound, onMetricsPort.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, onGrpcSocket.StatusCode);
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task Socket_GetsTheGrpcSocketsModeAndIsRemovedAtStop()
    {
        await using var other = await Daemon.StartAsync(upstream: null, new Dictionary<string, string> { ["Sidecar:SocketMode"] = "0640" });
        var socket = Path.Combine(Path.GetDirectoryName(other.Socket)!, "openai.sock");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(socket));
        await other.App.StopAsync().WaitAsync(Daemon.Timeout);
        Assert.False(File.Exists(socket), "the door's socket should be removed at stop");
    }

    [Fact]
    public async Task Socket_EmptySetting_TurnsTheDoorOff()
    {
        await using var other = await Daemon.StartAsync(upstream: null, new Dictionary<string, string> { ["Sidecar:OpenAI:Socket"] = string.Empty });

        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(other.Socket)!, "openai.sock"));
        Assert.True(File.Exists(other.Socket));
    }

    internal static HttpRequestMessage Request(string keyRef, string json, Version? version = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(json) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", keyRef);
        if (version is not null)
        {
            request.Version = version;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        return request;
    }

    /// <summary>Waits for the upstream to receive a request for <paramref name="model"/> (earlier arrivals are passed over).</summary>
    private async Task<RecordedRequest> NextArrivalAsync(string model)
    {
        while (true)
        {
            var arrived = await Upstream.NextRequestAsync(CancellationToken.None).AsTask().WaitAsync(Daemon.Timeout);
            if (arrived.Model == model)
            {
                return arrived;
            }
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<HttpResponseMessage> PostAsync(string keyRef, string json, bool stream = false)
    {
        using var request = Request(keyRef, json);
        return await _http.SendAsync(request, stream ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead).WaitAsync(Daemon.Timeout);
    }

    private static async Task<JsonNode> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string? type, string code, string reason)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {text}");
        Assert.Equal(reason, response.Headers.GetValues("X-Sidecar-Reason").Single());
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
        if (type is not null)
        {
            Assert.Equal(type, error["type"]!.GetValue<string>());
        }

        Assert.Equal(code, error["code"]!.GetValue<string>());
        return error;
    }

    /// <summary>Reads server-sent events to the end of the response: (event name or null, data).</summary>
    private static async Task<List<(string? Name, string Data)>> ReadEventsAsync(HttpResponseMessage response)
    {
        var events = new List<(string?, string)>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? name = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync().WaitAsync(Daemon.Timeout) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    events.Add((name, data.ToString()));
                }

                name = null;
                data.Clear();
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(line["data: ".Length..]);
            }
        }

        return events;
    }
}
