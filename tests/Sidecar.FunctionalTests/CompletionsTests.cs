using System.Text.Json.Nodes;
using Google.Rpc;

namespace Sidecar.FunctionalTests;

/// <summary>Unary and streaming calls through the real daemon to a real OpenAI-compatible HTTP server.</summary>
public sealed class CompletionsTests : DaemonTests
{
    protected override Dictionary<string, string> Settings() => new()
    {
        // Here each upstream failure maps straight to its status; retries have their own tests.
        ["Sidecar:Resilience:Retry:MaxRetries"] = "0",
        ["Sidecar:Keys:limited:ApiKey"] = "env:PATH", // any set variable: the model check comes first
        ["Sidecar:Keys:limited:Endpoint"] = Upstream.Endpoint.ToString(),
        ["Sidecar:Keys:limited:Models:0"] = "fake-allowed",
        ["Sidecar:Keys:nowhere:ApiKey"] = "env:PATH",
        ["Sidecar:Keys:nowhere:Endpoint"] = $"http://127.0.0.1:{Daemon.FreePort()}/v1",
    };

    private Completions.CompletionsClient Client => Daemon.Client;

    [Fact]
    public async Task Echo_GoesThroughTheKeysLocalLimits()
    {
        await using var daemon = await Daemon.StartAsync(upstream: null, new Dictionary<string, string> { ["Sidecar:Keys:echo:Limits:RequestsPerMinute"] = "1" });

        await daemon.Client.CompleteAsync(Requests.Echo("first")).ResponseAsync.WaitAsync(Daemon.Timeout);
        var status = await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Requests.Echo("second")).ResponseAsync, StatusCode.ResourceExhausted, "LOCAL_LIMIT");
        var streamed = await RpcAssert.FailsAsync(() => ReadAllAsync(daemon.Client.StreamComplete(Requests.Echo("third"))), StatusCode.ResourceExhausted, "LOCAL_LIMIT");

        Assert.Equal("rate", status!.GetDetail<Google.Rpc.ErrorInfo>().Metadata["limit"]);
        Assert.Equal("rate", streamed!.GetDetail<Google.Rpc.ErrorInfo>().Metadata["limit"]);
    }

    [Fact]
    public async Task Echo_AHugePromptStreamsInABoundedNumberOfChunks()
    {
        await using var daemon = await Daemon.StartAsync(upstream: null);
        var prompt = string.Concat(Enumerable.Repeat("w ", 1_000_000)); // 2 MB, a million words

        var chunks = await ReadAllAsync(daemon.Client.StreamComplete(Requests.Echo(prompt)));

        var content = chunks.Where(c => c.ContentDelta.Length > 0).ToList();
        // The bound is the behaviour (still streamed, in at most EchoChatProvider.MaxContentChunks pieces); the exact
        // count is how this text happens to split.
        Assert.InRange(content.Count, 2, 256);
        Assert.Equal(prompt, string.Concat(content.Select(c => c.ContentDelta)));
        Assert.Equal(FinishReason.Stop, chunks[^1].FinishReason);
    }

    [Fact]
    public async Task Complete_FakeUpstream_ReturnsTheAnswerAndUsageAndSendsTheKey()
    {
        var response = await Client.CompleteAsync(Requests.Fake("fake-1", "ping")).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal("fake: ping", response.Message.Content);
        Assert.Equal(Role.Assistant, response.Message.Role);
        Assert.Equal(FinishReason.Stop, response.FinishReason);
        Assert.Equal(new Usage { PromptTokens = 1, CompletionTokens = 2, TotalTokens = 3 }, response.Usage);
        Assert.StartsWith("chatcmpl-fake-", response.Id);
        var seen = Assert.Single(Upstream.Requests);
        Assert.Equal($"Bearer {Daemon.UpstreamKey}", seen.Authorization);
        Assert.Equal(new ServedBy { KeyRef = "fake", Model = "fake-1", Attempts = 1 }, response.ServedBy);
    }

    [Fact]
    public async Task StreamComplete_FakeUpstream_RelaysDeltasInOrderThenOneFinalChunk()
    {
        var chunks = await ReadAllAsync(Client.StreamComplete(Requests.Fake("fake-1", "one two three four")));

        Assert.Equal(["fake:", " one", " two", " three", " four", ""], chunks.Select(c => c.ContentDelta));
        Assert.All(chunks[..^1], c => Assert.Equal(FinishReason.Unspecified, c.FinishReason));
        Assert.All(chunks[..^1], c => Assert.Null(c.Usage));
        Assert.All(chunks[..^1], c => Assert.Null(c.ServedBy));
        Assert.Equal(FinishReason.Stop, chunks[^1].FinishReason);
        Assert.Equal(new Usage { PromptTokens = 4, CompletionTokens = 5, TotalTokens = 9 }, chunks[^1].Usage);
        Assert.Equal(new ServedBy { KeyRef = "fake", Model = "fake-1", Attempts = 1 }, chunks[^1].ServedBy);
        Assert.True(Upstream.Requests.Single().Body["stream_options"]?["include_usage"]?.GetValue<bool>());
    }

    [Fact]
    public async Task Complete_ToolCall_ReturnsTheCallAndSendsTheTool()
    {
        var request = Requests.Fake("fake-tools", "weather in Paris?");
        request.Tools.Add(new Tool { Name = "get_weather", Description = "Current weather", ParametersJsonSchema = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}" });
        request.ToolChoice = new ToolChoice { Mode = ToolChoiceMode.Required };

        var response = await Client.CompleteAsync(request).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal(FinishReason.ToolCalls, response.FinishReason);
        var call = Assert.Single(response.Message.ToolCalls);
        Assert.Equal(("call_1", "get_weather", "{\"city\":\"Paris\"}"), (call.Id, call.Name, call.ArgumentsJson));
        var body = Upstream.Requests.Single().Body;
        var tool = body["tools"]![0]!["function"]!;
        Assert.Equal("get_weather", tool["name"]!.GetValue<string>());
        Assert.Equal("string", tool["parameters"]!["properties"]!["city"]!["type"]!.GetValue<string>());
        Assert.Equal("required", body["tool_choice"]!.GetValue<string>());
    }

    [Fact]
    public async Task StreamComplete_ToolCall_DeltasMergeIntoTheCall()
    {
        var request = Requests.Fake("fake-tools");
        request.Tools.Add(new Tool { Name = "get_weather", ParametersJsonSchema = "{\"type\":\"object\"}" });

        var chunks = await ReadAllAsync(Client.StreamComplete(request));

        var deltas = chunks.SelectMany(c => c.ToolCallDeltas).ToList();
        Assert.All(deltas, d => Assert.Equal(0, d.Index));
        Assert.Equal("call_1", deltas[0].Id);
        Assert.Equal("get_weather", deltas[0].Name);
        Assert.Equal("{\"city\":\"Paris\"}", string.Concat(deltas.Select(d => d.ArgumentsDelta)));
        Assert.Equal(FinishReason.ToolCalls, chunks[^1].FinishReason);
    }

    [Fact]
    public async Task Complete_ToolResult_SendsTheAssistantCallAndTheToolAnswerUpstream()
    {
        var request = Requests.Fake("fake-tools", "weather in Paris?");
        request.Tools.Add(new Tool { Name = "get_weather" });
        request.Messages.Add(new Message { Role = Role.Assistant, ToolCalls = { new ToolCall { Id = "call_1", Name = "get_weather", ArgumentsJson = "{\"city\":\"Paris\"}" } } });
        request.Messages.Add(new Message { Role = Role.Tool, ToolCallId = "call_1", Content = "sunny, 21C" });

        var response = await Client.CompleteAsync(request).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal("tool call_1 said: sunny, 21C", response.Message.Content);
        var messages = Upstream.Requests.Single().Body["messages"]!.AsArray();
        Assert.Equal("call_1", messages[1]!["tool_calls"]![0]!["id"]!.GetValue<string>());
        Assert.Equal("get_weather", messages[1]!["tool_calls"]![0]!["function"]!["name"]!.GetValue<string>());
        Assert.Equal("tool", messages[2]!["role"]!.GetValue<string>());
        Assert.Equal("call_1", messages[2]!["tool_call_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Complete_SamplingFieldsAndJsonSchema_ReachTheUpstream()
    {
        var request = Requests.Fake("fake-1");
        request.Messages.Insert(0, new Message { Role = Role.System, Content = "be brief" });
        request.Messages.Insert(1, new Message { Role = Role.Developer, Content = "dev note" });
        request.Temperature = 0.5;
        request.TopP = 0.25;
        request.MaxTokens = 42;
        request.Seed = 7;
        request.PresencePenalty = 1;
        request.FrequencyPenalty = -1;
        request.Stop.Add("END");
        request.User = "user-1";
        request.ResponseFormat = new ResponseFormat { Type = ResponseFormatType.JsonSchema, JsonSchemaName = "answer", JsonSchema = "{\"type\":\"object\"}", JsonSchemaStrict = true };

        await Client.CompleteAsync(request).ResponseAsync.WaitAsync(Daemon.Timeout);

        var body = Upstream.Requests.Single().Body;
        Assert.Equal(0.5, body["temperature"]!.GetValue<double>());
        Assert.Equal(0.25, body["top_p"]!.GetValue<double>());
        Assert.Equal(42, (body["max_completion_tokens"] ?? body["max_tokens"])!.GetValue<int>());
        Assert.Equal(7, body["seed"]!.GetValue<long>());
        Assert.Equal(1, body["presence_penalty"]!.GetValue<double>());
        Assert.Equal(-1, body["frequency_penalty"]!.GetValue<double>());
        Assert.Equal("END", body["stop"]![0]!.GetValue<string>());
        Assert.Equal("user-1", body["user"]!.GetValue<string>());
        Assert.Equal(["system", "developer", "user"], body["messages"]!.AsArray().Select(m => m!["role"]!.GetValue<string>()));
        var format = body["response_format"]!;
        Assert.Equal("json_schema", format["type"]!.GetValue<string>());
        Assert.Equal("answer", format["json_schema"]!["name"]!.GetValue<string>());
        Assert.True(format["json_schema"]!["strict"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Complete_UsageDetails_CarryCachedAndReasoningTokens()
    {
        var response = await Client.CompleteAsync(Requests.Fake("fake-usage-details")).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal(3, response.Usage.CachedPromptTokens);
        Assert.Equal(5, response.Usage.ReasoningTokens);
    }

    [Theory]
    [InlineData("fake-length", FinishReason.Length)]
    [InlineData("fake-filter", FinishReason.ContentFilter)]
    public async Task Complete_OtherFinishReasons_AreMapped(string model, FinishReason expected)
    {
        var unary = await Client.CompleteAsync(Requests.Fake(model)).ResponseAsync.WaitAsync(Daemon.Timeout);
        var streamed = await ReadAllAsync(Client.StreamComplete(Requests.Fake(model)));

        Assert.Equal(expected, unary.FinishReason);
        Assert.Equal(expected, streamed[^1].FinishReason);
    }

    [Fact]
    public async Task Complete_Echo_AnswersLocallyWithWordCounts()
    {
        var response = await Client.CompleteAsync(Requests.Echo("hello there sidecar")).ResponseAsync.WaitAsync(Daemon.Timeout);
        var chunks = await ReadAllAsync(Client.StreamComplete(Requests.Echo("hello there sidecar")));

        Assert.Equal("hello there sidecar", response.Message.Content);
        Assert.Equal(3, response.Usage.CompletionTokens);
        Assert.Equal(["hello", " there", " sidecar", ""], chunks.Select(c => c.ContentDelta));
        Assert.Equal(FinishReason.Stop, chunks[^1].FinishReason);
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task StreamComplete_CallerCancelsMidStream_TheUpstreamSeesTheConnectionClose()
    {
        using var cancel = new CancellationTokenSource();
        using var call = Client.StreamComplete(Requests.Fake("fake-drip"), cancellationToken: cancel.Token);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout));

        cancel.Cancel();

        var upstream = Upstream.Requests.Single();
        Assert.True(await upstream.Ended.WaitAsync(Daemon.Timeout), "the upstream request should end as aborted");
    }

    [Fact]
    public async Task Complete_DeadlinePasses_IsDeadlineExceededAndTheUpstreamRequestIsAborted()
    {
        // Warm the path first (JIT, client cache, connection), so the deadline falls while the
        // upstream holds the request rather than before it is sent.
        await Client.CompleteAsync(Requests.Fake("fake-1")).ResponseAsync.WaitAsync(Daemon.Timeout);

        await RpcAssert.FailsAsync(
            () => Client.CompleteAsync(Requests.Fake("fake-hang"), deadline: DateTime.UtcNow.AddMilliseconds(500)).ResponseAsync,
            StatusCode.DeadlineExceeded);

        Assert.True(await Upstream.Requests.Single(r => r.Model == "fake-hang").Ended.WaitAsync(Daemon.Timeout));
    }

    [Theory]
    [InlineData("no-such-key", StatusCode.NotFound, "KEY_REF_NOT_FOUND")]
    [InlineData("limited", StatusCode.PermissionDenied, "MODEL_NOT_ALLOWED")] // fake-1 is outside its allow list
    public async Task Complete_KeyRefUnknownOrModelNotAllowed_IsRefusedWithoutCallingTheUpstream(string keyRef, StatusCode code, string reason)
    {
        var request = Requests.Fake("fake-1");
        request.KeyRef = keyRef;

        await RpcAssert.FailsAsync(() => Client.CompleteAsync(request).ResponseAsync, code, reason);

        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task Complete_BadInput_IsInvalidArgumentWithFieldPathsAndNoUpstreamCall()
    {
        var request = Requests.Fake("");
        request.Messages.Add(new Message { Content = "no role" });

        var status = await RpcAssert.FailsAsync(() => Client.CompleteAsync(request).ResponseAsync, StatusCode.InvalidArgument, "INVALID_REQUEST");
        var streamed = await RpcAssert.FailsAsync(() => ReadAllAsync(Client.StreamComplete(request)), StatusCode.InvalidArgument, "INVALID_REQUEST");

        Assert.Equal(["model", "messages[1].role"], status!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field));
        Assert.Equal(2, streamed!.GetDetail<BadRequest>().FieldViolations.Count);
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task Complete_Upstream401_IsUnauthenticatedAndNeverShowsTheKey()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.CompleteAsync(Requests.Fake("fake-401")).ResponseAsync.WaitAsync(Daemon.Timeout));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal("UPSTREAM_AUTH", error.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        Assert.DoesNotContain(Daemon.UpstreamKey, error.ToString());
        Assert.DoesNotContain(Daemon.UpstreamKey, error.GetRpcStatus()!.ToString());
    }

    [Fact]
    public async Task Complete_Upstream429_IsResourceExhaustedWithTheUpstreamsRetryDelay()
    {
        var status = await RpcAssert.FailsAsync(() => Client.CompleteAsync(Requests.Fake("fake-429")).ResponseAsync, StatusCode.ResourceExhausted, "UPSTREAM_RATE_LIMITED");

        Assert.Equal(TimeSpan.FromSeconds(2), status!.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());
    }

    [Theory]
    [InlineData("fake-500", StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE")]
    [InlineData("fake-503", StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE")]
    [InlineData("fake-400", StatusCode.InvalidArgument, "UPSTREAM_REJECTED")]
    [InlineData("fake-422", StatusCode.InvalidArgument, "UPSTREAM_REJECTED")]
    [InlineData("fake-404", StatusCode.NotFound, "UPSTREAM_REJECTED")]
    [InlineData("fake-403", StatusCode.Unauthenticated, "UPSTREAM_AUTH")]
    public async Task Complete_UpstreamErrors_MapToTheirStatus(string model, StatusCode code, string reason)
    {
        await RpcAssert.FailsAsync(() => Client.CompleteAsync(Requests.Fake(model)).ResponseAsync, code, reason);
        await RpcAssert.FailsAsync(() => ReadAllAsync(Client.StreamComplete(Requests.Fake(model))), code, reason);
    }

    [Fact]
    public async Task Complete_UpstreamRejectionEchoingTheKeyInDisguise_QuotesMessageTypeAndCodeWithEveryDisguiseRedacted()
    {
        var key = Daemon.UpstreamKey;

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.CompleteAsync(Requests.Fake("fake-400-leaky")).ResponseAsync.WaitAsync(Daemon.Timeout));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var detail = error.Status.Detail;
        Assert.Contains("bad request for key starting [redacted], ending [redacted], upper [redacted], auth ", detail);
        Assert.Contains("(type: invalid_request_error [redacted], code: code-[redacted])", detail);
        Assert.DoesNotContain("whole key", detail); // fields other than message, type and code are never quoted
        var bearer = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"Bearer {key}"));
        foreach (var text in new[] { key, bearer[1..] })
        {
            for (var i = 0; i + SecretRedactorRun <= text.Length; i++)
            {
                Assert.DoesNotContain(text.Substring(i, SecretRedactorRun), detail, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    private const int SecretRedactorRun = 8;

    [Fact]
    public async Task Complete_UpstreamRejection_QuotesTheUpstreamsMessage()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.CompleteAsync(Requests.Fake("fake-400")).ResponseAsync.WaitAsync(Daemon.Timeout));

        Assert.Contains("the model rejects this request", error.Status.Detail);
    }

    [Fact]
    public async Task Complete_UpstreamRefusesConnections_IsUnavailableWithRetryInfo()
    {
        var request = Requests.Fake("fake-1");
        request.KeyRef = "nowhere";

        var status = await RpcAssert.FailsAsync(() => Client.CompleteAsync(request).ResponseAsync, StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE");

        Assert.NotNull(status!.GetDetail<RetryInfo>());
    }

    [Theory]
    [InlineData("fake-cut")]
    [InlineData("fake-reset")]
    public async Task StreamComplete_UpstreamStopsWithoutAFinishReason_EndsWithAnErrorNotATruncation(string model)
    {
        using var call = Client.StreamComplete(Requests.Fake(model, "one two three four five"));
        var received = new List<CompleteChunk>();

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout))
            {
                received.Add(call.ResponseStream.Current);
            }
        });

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.All(received, c => Assert.Equal(FinishReason.Unspecified, c.FinishReason));
        if (model == "fake-cut")
        {
            Assert.Equal(["fake:", " one", " two"], received.Select(c => c.ContentDelta));
        }

        // A TCP reset may drop chunks the daemon had not read yet; either way the call must fail,
        // and once anything was relayed the reason says the stream broke.
        var reason = error.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason;
        Assert.Equal(received.Count > 0 ? "UPSTREAM_STREAM_BROKEN" : "UPSTREAM_UNAVAILABLE", reason);
    }

    internal static async Task<CompleteChunk[]> ReadAllAsync(AsyncServerStreamingCall<CompleteChunk> call)
    {
        using (call)
        {
            var chunks = new List<CompleteChunk>();
            while (await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout))
            {
                chunks.Add(call.ResponseStream.Current);
            }

            return chunks.ToArray();
        }
    }
}
