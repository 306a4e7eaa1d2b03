using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Sidecar.FakeUpstream;

/// <summary>
/// Serves <c>POST /v1/chat/completions</c> like OpenAI does. The model name picks the behaviour
/// (see <see cref="Scenarios"/>); a suffix after <c>@</c> is ignored, so a test can keep its own counters.
/// <c>bench-*</c> models take the load bench's fast path instead (<see cref="BenchScenario"/>): not recorded.
/// </summary>
public sealed class FakeUpstreamServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly BenchScenario _bench = new();
    private readonly Channel<RecordedRequest> _arrivals = Channel.CreateUnbounded<RecordedRequest>();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private int _openConnections;
    private int _totalConnections;
    private int _modelListRequests;

    private FakeUpstreamServer(WebApplication app) => _app = app;

    /// <summary>The base address to configure as an endpoint, e.g. <c>http://127.0.0.1:5123/v1</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    public int Port { get; private set; }

    /// <summary>Fires when the process is asked to stop (SIGTERM, Ctrl+C).</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    /// <summary>Connections open right now (the soak checks nothing leaks).</summary>
    public int OpenConnections => Volatile.Read(ref _openConnections);

    public int TotalConnections => Volatile.Read(ref _totalConnections);

    public IReadOnlyCollection<RecordedRequest> Requests => _requests;

    /// <summary>How many times <c>GET /v1/models</c> was asked (it lists <c>fake-1</c> and <c>fake-tools</c>).</summary>
    public int ModelListRequests => Volatile.Read(ref _modelListRequests);

    /// <summary>How many requests arrived for a model name (the whole name, suffix included).</summary>
    public int CountFor(string model) => _counts.TryGetValue(model, out var n) ? n : 0;

    /// <summary>Waits for the next request to arrive.</summary>
    public ValueTask<RecordedRequest> NextRequestAsync(CancellationToken cancellationToken) => _arrivals.Reader.ReadAsync(cancellationToken);

    public static async Task<FakeUpstreamServer> StartAsync(int port = 0, Action<string>? log = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        FakeUpstreamServer? server = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, port, listen =>
            {
                listen.Use(next => async connection =>
                {
                    Interlocked.Increment(ref server!._totalConnections);
                    Interlocked.Increment(ref server._openConnections);
                    try
                    {
                        await next(connection);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref server._openConnections);
                    }
                });
            });
        });
        var app = builder.Build();
        server = new FakeUpstreamServer(app);
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        server._bench.MapControlEndpoints(app);
        app.MapGet("/v1/models", () =>
        {
            Interlocked.Increment(ref server._modelListRequests);
            return Results.Json(new
            {
                @object = "list",
                data = new[]
                {
                    new { id = "fake-1", @object = "model", created = 1_700_000_000, owned_by = "fake" },
                    new { id = "fake-tools", @object = "model", created = 1_700_000_000, owned_by = "fake" },
                },
            });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Port = new Uri(address).Port;
        server.Endpoint = new Uri($"http://127.0.0.1:{server.Port}/v1");
        log?.Invoke($"fake upstream listening on {server.Endpoint}");
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        var read = await reader.ReadAsync(context.RequestAborted);
        while (!read.IsCompleted && !read.IsCanceled)
        {
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            read = await reader.ReadAsync(context.RequestAborted);
        }

        var (benchModel, benchStream) = BenchScenario.Scan(read.Buffer);
        if (benchModel is not null && BenchSpec.IsBench(benchModel))
        {
            reader.AdvanceTo(read.Buffer.End);
            await _bench.RunAsync(context, benchModel, benchStream);
            return;
        }

        var body = ParseObject(read.Buffer);
        reader.AdvanceTo(read.Buffer.End);
        if (body is null)
        {
            await Scenarios.WriteError(context, 400, "could not parse the JSON body");
            return;
        }

        var model = body["model"]?.GetValue<string>() ?? string.Empty;
        var stream = body["stream"]?.GetValue<bool>() ?? false;
        var count = _counts.AddOrUpdate(model, 1, (_, n) => n + 1);
        var recorded = new RecordedRequest(
            model,
            stream,
            context.Request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null,
            context.Request.Headers["traceparent"].ToString() is { Length: > 0 } tp ? tp : null,
            body,
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
        _requests.Enqueue(recorded);
        _arrivals.Writer.TryWrite(recorded);
        try
        {
            await Scenarios.RunAsync(context, body, model, stream, count, recorded);
            recorded.End(aborted: context.RequestAborted.IsCancellationRequested);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            recorded.End(aborted: true);
        }
        catch (IOException)
        {
            recorded.End(aborted: true);
        }
    }

    /// <summary>The request body as a JSON object; null when it is not JSON or not an object.</summary>
    private static JsonObject? ParseObject(ReadOnlySequence<byte> bytes)
    {
        try
        {
            return JsonNode.Parse(bytes.IsSingleSegment ? bytes.FirstSpan : bytes.ToArray()) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
