using System.Net;
using Grpc.Core;
using Sidecar.FakeUpstream;
using Sidecar.V1;

namespace Sidecar.FunctionalTests.Redis;

/// <summary>The response cache across two daemons on one Redis, against the real fake upstream (docs/scaling.md).</summary>
public sealed class ResponseCacheTests : IAsyncLifetime
{
    private FakeUpstreamServer _upstream = null!;
    private RedisServer _redis = null!;
    private Dictionary<string, string> _settings = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync();
        _redis = await RedisServer.StartAsync();
        _settings = new Dictionary<string, string>
        {
            ["Sidecar:Keys:fake:Cache:Ttl"] = "00:05:00",
            ["Sidecar:Keys:other:ApiKey"] = "env:PATH",
            ["Sidecar:Keys:other:Endpoint"] = _upstream.Endpoint.ToString(),
            ["Sidecar:Keys:other:Cache:Ttl"] = "00:05:00",
        };
    }

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Complete_SameTemperatureZeroRequestOnTwoDaemons_ReachesTheUpstreamOnce()
    {
        await using var a = await RedisDaemons.StartAsync(_redis, _settings, _upstream);
        await using var b = await RedisDaemons.StartAsync(_redis, _settings, _upstream);
        var request = Cacheable("fake-cache-twice");

        var first = await a.Client.CompleteAsync(request);
        var second = await b.Client.CompleteAsync(request);

        Assert.Equal(1, _upstream.CountFor("fake-cache-twice"));
        Assert.False(first.ServedBy.Cached);
        Assert.True(second.ServedBy.Cached);
        Assert.Equal("fake", second.ServedBy.KeyRef);
        Assert.Equal(first.Message.Content, second.Message.Content);
        Assert.Equal(first.Usage, second.Usage);
        Assert.Equal(first.FinishReason, second.FinishReason);
    }

    [Fact]
    public async Task Complete_AnotherKeyRefWithTheSameRequest_NeverHitsTheFirstOnesEntry()
    {
        await using var a = await RedisDaemons.StartAsync(_redis, _settings, _upstream);
        await using var b = await RedisDaemons.StartAsync(_redis, _settings, _upstream);
        var mine = Cacheable("fake-cache-tenants");
        var theirs = Cacheable("fake-cache-tenants");
        theirs.KeyRef = "other";

        await a.Client.CompleteAsync(mine);
        var onA = await a.Client.CompleteAsync(theirs);
        var onB = await b.Client.CompleteAsync(theirs);

        Assert.False(onA.ServedBy.Cached);
        Assert.True(onB.ServedBy.Cached);
        Assert.Equal("other", onB.ServedBy.KeyRef);
        Assert.Equal(2, _upstream.CountFor("fake-cache-tenants"));
    }

    [Fact]
    public async Task StreamComplete_CachedAnswer_ReplaysAsChunksEndingWithFinishReasonAndUsage()
    {
        await using var a = await RedisDaemons.StartAsync(_redis, _settings, _upstream);
        await using var b = await RedisDaemons.StartAsync(_redis, _settings, _upstream);
        var request = Cacheable("fake-cache-stream", "one two three four");

        var live = await CompletionsTests.ReadAllAsync(a.Client.StreamComplete(request));
        var replayed = await CompletionsTests.ReadAllAsync(b.Client.StreamComplete(request));

        Assert.Equal(1, _upstream.CountFor("fake-cache-stream"));
        Assert.False(live[^1].ServedBy.Cached);
        var last = replayed[^1];
        Assert.True(last.ServedBy.Cached);
        Assert.Equal(FinishReason.Stop, last.FinishReason);
        Assert.Equal(live[^1].Usage, last.Usage);
        Assert.True(last.Usage.TotalTokens > 0);
        Assert.Single(replayed, c => c.FinishReason != FinishReason.Unspecified || c.Usage is not null || c.ServedBy is not null);
        Assert.Equal(string.Concat(live.Select(c => c.ContentDelta)), string.Concat(replayed.Select(c => c.ContentDelta)));
    }

    [Fact]
    public async Task Chat_CachedAnswerOverHttp_SaysSoInAHeader()
    {
        await using var daemon = await RedisDaemons.StartAsync(_redis, _settings, _upstream);
        using var http = UnixHttp.Client(Path.Combine(Path.GetDirectoryName(daemon.Socket)!, "openai.sock"));
        const string Body = """{"model":"fake-cache-http","messages":[{"role":"user","content":"ping"}],"temperature":0}""";

        using var first = await http.SendAsync(OpenAIHttpTests.Request("fake", Body)).WaitAsync(Daemon.Timeout);
        using var second = await http.SendAsync(OpenAIHttpTests.Request("fake", Body)).WaitAsync(Daemon.Timeout);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False(first.Headers.Contains("X-Sidecar-Cache"));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("hit", Assert.Single(second.Headers.GetValues("X-Sidecar-Cache")));
        // The same answer, byte for byte, but for `created`: the door stamps it when it writes a
        // response (the contract carries no creation time to replay), so across a second boundary the
        // two differ by design. Every other field, the id included, must be the cached one.
        var (live, replayed) = (AnswerWithoutCreated(await first.Content.ReadAsStringAsync()), AnswerWithoutCreated(await second.Content.ReadAsStringAsync()));
        Assert.True(live.Created <= replayed.Created);
        Assert.Equal(live.Fields, replayed.Fields);
        Assert.Equal(1, _upstream.CountFor("fake-cache-http"));
    }

    private static (long Created, string Fields) AnswerWithoutCreated(string body)
    {
        var answer = System.Text.Json.Nodes.JsonNode.Parse(body)!.AsObject();
        var created = answer["created"]!.GetValue<long>();
        answer.Remove("created");
        return (created, answer.ToJsonString());
    }

    [Fact]
    public async Task Chat_StreamedCachedAnswerOverHttp_SaysSoInAHeaderAndEndsWithDone()
    {
        await using var daemon = await RedisDaemons.StartAsync(_redis, _settings, _upstream);
        using var http = UnixHttp.Client(Path.Combine(Path.GetDirectoryName(daemon.Socket)!, "openai.sock"));
        const string Body = """{"model":"fake-cache-sse","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"one two"}],"temperature":0}""";

        using var first = await http.SendAsync(OpenAIHttpTests.Request("fake", Body)).WaitAsync(Daemon.Timeout);
        var live = await first.Content.ReadAsStringAsync();
        using var second = await http.SendAsync(OpenAIHttpTests.Request("fake", Body)).WaitAsync(Daemon.Timeout);
        var replayed = await second.Content.ReadAsStringAsync();

        Assert.False(first.Headers.Contains("X-Sidecar-Cache"));
        Assert.Equal("hit", Assert.Single(second.Headers.GetValues("X-Sidecar-Cache")));
        Assert.EndsWith("data: [DONE]\n\n", replayed, StringComparison.Ordinal);
        Assert.Contains("\"finish_reason\":\"stop\"", replayed, StringComparison.Ordinal);
        Assert.Contains("\"usage\":{", replayed, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", live, StringComparison.Ordinal);
        Assert.Equal(1, _upstream.CountFor("fake-cache-sse"));
    }

    [Fact]
    public async Task Complete_NoTemperatureZeroAndNoOptIn_IsNeverCached_OptInIs()
    {
        await using var daemon = await RedisDaemons.StartAsync(_redis, _settings, _upstream);
        var warm = Requests.Fake("fake-cache-warm");
        warm.Temperature = 0.7;
        var optedIn = warm.Clone();
        optedIn.Model = "fake-cache-optin";
        optedIn.Metadata["sidecar.cache"] = "on";

        await daemon.Client.CompleteAsync(warm);
        var again = await daemon.Client.CompleteAsync(warm);
        await daemon.Client.CompleteAsync(optedIn);
        var hit = await daemon.Client.CompleteAsync(optedIn);

        Assert.False(again.ServedBy.Cached);
        Assert.Equal(2, _upstream.CountFor("fake-cache-warm"));
        Assert.True(hit.ServedBy.Cached);
        Assert.Equal(1, _upstream.CountFor("fake-cache-optin"));
    }

    private static CompleteRequest Cacheable(string model, string content = "alpha beta gamma")
    {
        var request = Requests.Fake(model, content);
        request.Temperature = 0;
        return request;
    }
}
