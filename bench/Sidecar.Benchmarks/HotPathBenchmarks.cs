using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Chat;
using Sidecar.Api;
using Sidecar.Clients;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.Keys;
using Sidecar.Upstream;
using Sidecar.V1;

namespace Sidecar.Benchmarks;

/// <summary>
/// The daemon's own work on every call, piece by piece, on the request the load bench sends
/// (a system and a user message, max_tokens and temperature): what a call costs before and after
/// the network, and what it allocates.
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private const string Model = "gpt-4o-mini";

    private ServiceProvider _services = null!;
    private ClientCache _cache = null!;
    private ResolvedKey _key = null!;
    private KeyResolver _resolver = null!;
    private RequestValidator _validator = null!;
    private CompleteRequest _request = null!;
    private StreamingChatCompletionUpdate _update = null!;
    private OpenAIClient _client = null!;

    [GlobalSetup]
    public void Setup()
    {
        Environment.SetEnvironmentVariable("SIDECAR_BENCHMARK_KEY", "sk-benchmark");
        var services = new ServiceCollection();
        services.AddMetrics();
        services.Configure<SidecarOptions>(o => o.Keys["team-a"] = new KeyRefOptions { ApiKey = "env:SIDECAR_BENCHMARK_KEY", Endpoint = "http://127.0.0.1:9/v1" });
        _services = services.BuildServiceProvider();
        var options = _services.GetRequiredService<IOptions<SidecarOptions>>();

        var metrics = new SidecarMetrics(_services.GetRequiredService<IMeterFactory>());
        _cache = new ClientCache(new OpenAIClientFactory(new UpstreamHttpPool(options), options), options, TimeProvider.System, metrics);
        _resolver = new KeyResolver(_services.GetRequiredService<IOptionsMonitor<SidecarOptions>>(), TimeProvider.System, NullLogger<KeyResolver>.Instance);
        _key = _resolver.Resolve("team-a");
        _client = _cache.GetOrCreate(_key);
        _validator = new RequestValidator(options);

        _request = new CompleteRequest
        {
            KeyRef = "team-a",
            Model = Model,
            Messages =
            {
                new Message { Role = Role.System, Content = "You are a benchmark. Answer briefly." },
                new Message { Role = Role.User, Content = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty" },
            },
            MaxTokens = 64,
            Temperature = 0.2,
        };
#pragma warning disable OPENAI001 // The factory overload with the newest fields is marked experimental; we set none of them.
        _update = OpenAIChatModelFactory.StreamingChatCompletionUpdate(
            completionId: "chatcmpl-bench",
            contentUpdate: new ChatMessageContent(" token"),
            model: Model);
#pragma warning restore OPENAI001
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cache.Dispose();
        _resolver.Dispose();
        _services.Dispose();
    }

    /// <summary>A cached client for a resolved key (every call after the first for a key).</summary>
    [Benchmark]
    public OpenAIClient CacheHit() => _cache.GetOrCreate(_key);

    /// <summary>key_ref → secret and endpoint, from the resolver's own cache.</summary>
    [Benchmark]
    public object ResolveKeyHit() => _resolver.Resolve("team-a");

    /// <summary>The SDK's chat client for the model: the daemon takes a new one on every call.</summary>
    [Benchmark]
    public ChatClient GetChatClient() => _client.GetChatClient(Model);

    /// <summary>Field checks of a valid request (walks every message).</summary>
    [Benchmark]
    public void Validate() => _validator.Validate(_request);

    /// <summary>proto request → the SDK's messages and options.</summary>
    [Benchmark]
    public ChatCompletionOptions MapRequest()
    {
        var messages = ChatRequestMapper.Messages(_request);
        var options = ChatRequestMapper.Options(_request);
        GC.KeepAlive(messages);
        return options;
    }

    /// <summary>One streamed SDK update → one proto chunk (per token on a stream).</summary>
    [Benchmark]
    public CompleteChunk? MapChunk() => ChatResponseMapper.Chunk(_update);
}
