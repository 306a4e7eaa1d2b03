using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using Sidecar.Api;
using Sidecar.Clients;
using Sidecar.Configuration;
using Sidecar.Hosting;
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
    private ChatClientCache _chats = null!;

    [GlobalSetup]
    public void Setup()
    {
        Environment.SetEnvironmentVariable("SIDECAR_BENCHMARK_KEY", "sk-benchmark");
        var settings = new Dictionary<string, string?>
        {
            ["Sidecar:Socket"] = "/tmp/sidecar-benchmarks.sock",
            ["Sidecar:Keys:team-a:ApiKey"] = "env:SIDECAR_BENCHMARK_KEY",
            ["Sidecar:Keys:team-a:Endpoint"] = "http://127.0.0.1:9/v1",
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var options = LiveOptions.Read(configuration, new SidecarOptionsValidator());

        // The daemon's own registrations: the objects are built as the daemon builds them, whatever
        // their constructors need, so these benchmarks follow the code as it changes.
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<Microsoft.AspNetCore.Hosting.IWebHostEnvironment>(new BenchmarkHostEnvironment());
        SidecarApp.AddSidecarServices(services, options);
        _services = services.BuildServiceProvider();

        _cache = _services.GetRequiredService<ClientCache>();
        _resolver = _services.GetRequiredService<KeyResolver>();
        _key = _resolver.Resolve("team-a");
        _client = _cache.GetOrCreate(_key);
        _validator = _services.GetRequiredService<RequestValidator>();
        _chats = _services.GetRequiredService<ChatClientCache>();

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
    public void Cleanup() => _services.Dispose();

    /// <summary>A cached client for a resolved key (every call after the first for a key).</summary>
    [Benchmark]
    public OpenAIClient CacheHit() => _cache.GetOrCreate(_key);

    /// <summary>key_ref → secret and endpoint, from the resolver's own cache.</summary>
    [Benchmark]
    public object ResolveKeyHit() => _resolver.Resolve("team-a");

    /// <summary>The SDK's chat client for the model, as the SDK makes it (what the daemon did on every call).</summary>
    [Benchmark]
    public ChatClient GetChatClient() => _client.GetChatClient(Model);

    /// <summary>The chat client for (client, model) from <see cref="ChatClientCache"/>: what the daemon does now.</summary>
    [Benchmark]
    public ChatClient ChatClientHit() => _chats.For(_client, Model);

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
