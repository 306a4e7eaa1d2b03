using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics.Metrics;
using OpenAI;
using Sidecar.Keys;
using Sidecar.Upstream;

namespace Sidecar.Tests.Resilience;

/// <summary>Upstream failures as the OpenAI SDK throws them, for the resilience tests.</summary>
internal static class Failures
{
    /// <summary>The daemon's own classifier of upstream failures, which the resilience layer is given.</summary>
    public static readonly UpstreamFailures Classifier = new(TimeProvider.System);

    /// <summary>The endpoint of <see cref="Key"/>'s keys by default; the breakers hold breakers only for configured endpoints.</summary>
    public const string Endpoint = "http://upstream.test:8080/v1";

    public static readonly ResolvedKey TeamA = Key("team-a");
    public static readonly ResolvedKey TeamB = Key("team-b");

    public static ResolvedKey Key(string keyRef, string endpoint = Endpoint, string fingerprint = "fp1") =>
        new(keyRef, "openai", new Uri(endpoint), "sk-secret", fingerprint, models: null);

    /// <summary>An HTTP error answer, with headers such as <c>Retry-After</c> and an optional body.</summary>
    public static ClientResultException Http(int status, string body = "{}", params (string Name, string Value)[] headers) =>
        new($"HTTP {status}", new FakeResponse(status, body, headers));

    /// <summary>A connection the upstream refused: no HTTP answer at all, counted by the endpoint's breaker.</summary>
    public static HttpRequestException ConnectionRefused() =>
        new(HttpRequestError.ConnectionError, "connection refused", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused));

    public static ClientResultException RetryAfter(int status, string value) => Http(status, "{}", ("Retry-After", value));

    public static IMeterFactory Meters() => new TestMeterFactory();

    /// <summary>A client cache (the owner of per-key state) whose clients are real but never called.</summary>
    public static Sidecar.Clients.ClientCache Clients(SidecarOptions options, TimeProvider time, SidecarMetrics metrics) =>
        new(new PlainFactory(), TestOptions.Live(options), time, metrics);

    private sealed class PlainFactory : IOpenAIClientFactory
    {
        public OpenAIClient Create(ResolvedKey key) =>
            new(new ApiKeyCredential(key.Secret.Length == 0 ? "none" : key.Secret), new OpenAIClientOptions { Endpoint = key.Endpoint });
    }

    private sealed class FakeResponse(int status, string body, (string Name, string Value)[] headers) : PipelineResponse
    {
        private readonly BinaryData _content = BinaryData.FromString(body);

        public override int Status => status;

        public override string ReasonPhrase => "fake";

        public override Stream? ContentStream { get; set; }

        public override BinaryData Content => _content;

        protected override PipelineResponseHeaders HeadersCore { get; } = new FakeHeaders(headers);

        public override BinaryData BufferContent(CancellationToken cancellationToken = default) => _content;

        public override ValueTask<BinaryData> BufferContentAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_content);

        public override void Dispose()
        {
        }
    }

    private sealed class FakeHeaders((string Name, string Value)[] headers) : PipelineResponseHeaders
    {
        public override bool TryGetValue(string name, out string? value)
        {
            value = headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
            return value is not null;
        }

        public override bool TryGetValues(string name, out IEnumerable<string>? values)
        {
            values = TryGetValue(name, out var value) ? [value!] : null;
            return values is not null;
        }

        public override IEnumerator<KeyValuePair<string, string>> GetEnumerator() =>
            headers.Select(h => new KeyValuePair<string, string>(h.Name, h.Value)).GetEnumerator();
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        public Meter Create(MeterOptions options) => new(options.Name, options.Version, options.Tags, scope: this);

        public void Dispose()
        {
        }
    }
}
