using BenchmarkDotNet.Attributes;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Sidecar.Hosting;
using Sidecar.Testing;
using Sidecar.V1;

namespace Sidecar.Benchmarks;

/// <summary>
/// The daemon's whole path for one call, in this process: Kestrel on a real Unix socket, the gRPC
/// server, the pipeline (validation, key, authorization, limits, resilience) and the echo provider,
/// called with Grpc.Net.Client as an agent would. The allocations are the process's, so they include
/// the client's side of the call; the per-call log line is off (no logging provider), to keep
/// BenchmarkDotNet's output readable; the load bench measures the daemon with it.
/// </summary>
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    private string _directory = null!;
    private WebApplication _app = null!;
    private GrpcChannel _channel = null!;
    private Completions.CompletionsClient _client = null!;
    private CompleteRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("sidecar-e2e-").FullName;
        var socket = Path.Combine(_directory, "daemon.sock");
        _app = SidecarApp.Create(
            [$"--Sidecar:Socket={socket}", "--Sidecar:HealthPort=0", "--Sidecar:HttpPort=0"],
            builder => builder.Logging.ClearProviders());
        _app.StartAsync().GetAwaiter().GetResult();
        _channel = UnixSocketHttp.Channel(socket);
        _client = new Completions.CompletionsClient(_channel);
        _request = new CompleteRequest
        {
            KeyRef = "echo",
            Model = "bench",
            Messages =
            {
                new Message { Role = Role.System, Content = "You are a benchmark. Answer briefly." },
                new Message { Role = Role.User, Content = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty" },
            },
            MaxTokens = 64,
            Temperature = 0.2,
        };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _channel.Dispose();
        _app.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)_app).Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>One unary call through the daemon, answered by the echo provider.</summary>
    [Benchmark]
    public async Task<CompleteResponse> EchoUnary() => await _client.CompleteAsync(_request);

    /// <summary>One streamed call through the daemon: 20 word chunks and the final chunk.</summary>
    [Benchmark]
    public async Task<int> EchoStream()
    {
        using var call = _client.StreamComplete(_request);
        var chunks = 0;
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            chunks++;
        }

        return chunks;
    }
}
