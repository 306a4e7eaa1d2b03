using System.Buffers.Binary;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Sidecar.V1;

namespace Sidecar.Client.Tests.Infrastructure;

/// <summary>
/// Plays the daemon for unit tests: Kestrel on a temporary Unix socket (HTTP/2) answering the gRPC
/// wire format by hand, so tests control every frame and trailer the client sees.
/// </summary>
internal sealed class FakeSidecar : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _directory;

    private FakeSidecar(WebApplication app, string directory, string socketPath)
    {
        _app = app;
        _directory = directory;
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    /// <summary>Handles sidecar.v1.Completions/Complete. Default: UNIMPLEMENTED.</summary>
    public Func<FakeCall<CompleteRequest>, Task>? Complete { get; set; }

    /// <summary>Handles sidecar.v1.Completions/StreamComplete. Default: UNIMPLEMENTED.</summary>
    public Func<FakeCall<CompleteRequest>, Task>? StreamComplete { get; set; }

    /// <summary>Handles grpc.health.v1.Health/Check. Default: SERVING.</summary>
    public Func<FakeCall<HealthCheckRequest>, Task>? Check { get; set; }

    public static async Task<FakeSidecar> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("sidecar-cs-test-").FullName;
        var socketPath = Path.Combine(directory, "s.sock");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(socketPath, l => l.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        var fake = new FakeSidecar(app, directory, socketPath);
        app.MapPost("/sidecar.v1.Completions/Complete", ctx => fake.Handle(ctx, CompleteRequest.Parser, fake.Complete));
        app.MapPost("/sidecar.v1.Completions/StreamComplete", ctx => fake.Handle(ctx, CompleteRequest.Parser, fake.StreamComplete));
        app.MapPost("/grpc.health.v1.Health/Check", ctx => fake.Handle(ctx, HealthCheckRequest.Parser, fake.Check ?? Serving));
        await app.StartAsync().WithTimeout();
        return fake;
    }

    private static async Task Serving(FakeCall<HealthCheckRequest> call) =>
        await call.WriteAsync(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.Serving });

    private async Task Handle<TRequest>(HttpContext context, MessageParser<TRequest> parser, Func<FakeCall<TRequest>, Task>? handler)
        where TRequest : IMessage<TRequest>
    {
        context.Response.ContentType = "application/grpc";
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var bytes = body.ToArray();
        var request = parser.ParseFrom(bytes.AsSpan(5));
        var call = new FakeCall<TRequest>(context, request);
        if (handler is null)
        {
            call.SetStatus(StatusCode.Unimplemented, "not in this test");
        }
        else
        {
            await handler(call);
        }
        call.WriteTrailers();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WithTimeout();
        await _app.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>One call the fake sidecar received.</summary>
internal sealed class FakeCall<TRequest>(HttpContext context, TRequest request)
{
    private StatusCode _status = StatusCode.OK;
    private string _detail = "";
    private Google.Rpc.Status? _details;

    public TRequest Request { get; } = request;

    /// <summary>The grpc-timeout header the client sent, or null when it set no deadline.</summary>
    public string? GrpcTimeout => context.Request.Headers.TryGetValue("grpc-timeout", out var v) ? v.ToString() : null;

    /// <summary>Fires when the client cancels the call.</summary>
    public CancellationToken Aborted => context.RequestAborted;

    public async Task WriteAsync(IMessage message)
    {
        var payload = message.ToByteArray();
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), (uint)payload.Length);
        await context.Response.Body.WriteAsync(header, context.RequestAborted);
        await context.Response.Body.WriteAsync(payload, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    public void SetStatus(StatusCode code, string detail, Google.Rpc.Status? details = null)
    {
        _status = code;
        _detail = detail;
        _details = details;
    }

    internal void WriteTrailers()
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        context.Response.AppendTrailer("grpc-status", ((int)_status).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (_detail.Length > 0)
        {
            context.Response.AppendTrailer("grpc-message", Uri.EscapeDataString(_detail));
        }
        if (_details is not null)
        {
            context.Response.AppendTrailer("grpc-status-details-bin", Convert.ToBase64String(_details.ToByteArray()));
        }
    }
}
