using Google.Rpc;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Sidecar.FunctionalTests;

/// <summary>
/// The daemon as a real process (<see cref="SidecarProcess"/>: the AOT binary under <c>./test.sh</c>): what a signal does to calls in flight, to new
/// calls, to the exit code and to the socket file, and how it refuses to start. The fake upstream runs in
/// this test process.
/// </summary>
public sealed class ProcessShutdownTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sidecar-proc-");

    private string Socket => Path.Combine(_dir.FullName, "sidecar.sock");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _dir.Delete(recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Sigterm_DuringAStream_TheStreamFinishesNewCallsAreRefusedExitCodeIsZeroAndTheSocketIsGone()
    {
        // The stream under test: 40 chunks, 20 ms apart.
        await using var scene = await StreamingDaemon.StartAsync(Socket, "00:00:20", "fake-drip-40");
        var (upstream, daemon, client, stream) = (scene.Upstream, scene.Daemon, scene.Client, scene.Stream);
        Assert.Equal("fake-drip-40", scene.UpstreamRequest.Model);

        // A second call that holds the drain open until this test lets it go, so "during the drain" does
        // not depend on how fast this machine is: the upstream never answers it. Once the upstream has it,
        // the daemon has counted it as in flight.
        using var releaseHolder = new CancellationTokenSource();
        using var holder = client.CompleteAsync(Requests.Fake("fake-hang"), cancellationToken: releaseHolder.Token);
        var held = await upstream.NextRequestAsync(CancellationToken.None).AsTask().WaitAsync(Daemon.Timeout);
        Assert.Equal("fake-hang", held.Model);

        daemon.Signal(SidecarProcess.SIGTERM);
        await daemon.WaitForOutputAsync(line => line.Contains("Shutdown: not serving", StringComparison.Ordinal));

        // A new agent connecting during the drain: the listener is still open (the coordinator runs in
        // the host's "stopping" phase, before Kestrel closes its listeners), so the connection is accepted
        // and the daemon itself answers with a reason the agent can act on. Health says the same.
        using var newcomer = Daemon.SocketChannel(Socket);
        await RpcAssert.FailsAsync(() => new Completions.CompletionsClient(newcomer).CompleteAsync(Requests.Echo("late")).ResponseAsync, StatusCode.Unavailable, "SHUTTING_DOWN");
        var status = await RpcAssert.FailsAsync(() => client.CompleteAsync(Requests.Echo("late too")).ResponseAsync, StatusCode.Unavailable, "SHUTTING_DOWN");
        Assert.NotNull(status!.GetDetail<RetryInfo>());
        var readiness = await new HealthClient(newcomer).CheckAsync(new HealthCheckRequest { Service = "readiness" }).ResponseAsync.WaitAsync(Daemon.Timeout);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, readiness.Status);

        // The stream in flight when the signal came finishes whole.
        var rest = new List<CompleteChunk>();
        while (await stream.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout))
        {
            rest.Add(stream.ResponseStream.Current);
        }

        Assert.Equal(40, 1 + rest.Count(c => c.ContentDelta == "tick "));
        Assert.Equal(FinishReason.Stop, rest[^1].FinishReason);
        Assert.NotNull(rest[^1].Usage);

        // Let the holder go: the drain ends with nothing in flight, well within the grace.
        releaseHolder.Cancel();
        await RpcAssert.FailsAsync(() => holder.ResponseAsync, StatusCode.Cancelled);
        Assert.True(await held.Ended.WaitAsync(Daemon.Timeout), "the held upstream request should be aborted");

        Assert.Equal(0, await daemon.WaitForExitAsync());
        // Which way the drain ended, as the daemon tells its operator: the exit code is 0 either way.
        Assert.Contains("Shutdown: all calls finished", daemon.StandardOutput);
        Assert.DoesNotContain("cancelling", daemon.StandardOutput);
        Assert.False(File.Exists(Socket), "the socket file should be removed at stop");

        // Once the process is gone nobody is there to give a reason: connecting fails, and gRPC reports
        // that as UNAVAILABLE without ErrorInfo. Agents treat both the same way: retry elsewhere.
        using var afterwards = Daemon.SocketChannel(Socket);
        var gone = await RpcAssert.FailsAsync(() => new Completions.CompletionsClient(afterwards).CompleteAsync(Requests.Echo("anyone?")).ResponseAsync, StatusCode.Unavailable);
        Assert.Null(gone);
    }

    [Theory]
    [InlineData(SidecarProcess.SIGTERM)]
    [InlineData(SidecarProcess.SIGINT)]
    public async Task Signal_WhenTheGraceRunsOut_CutsTheCallWithShuttingDownAndStillExitsZero(int signal)
    {
        await using var scene = await StreamingDaemon.StartAsync(Socket, "00:00:00.500", "fake-drip");
        var (daemon, stream, upstreamRequest) = (scene.Daemon, scene.Stream, scene.UpstreamRequest);

        daemon.Signal(signal);

        // fake-drip lasts 6 s; the grace is half a second.
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await stream.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout))
            {
                Assert.Equal(FinishReason.Unspecified, stream.ResponseStream.Current.FinishReason);
            }
        });
        // A cut call must end with a status the agent can act on, never a bare stream reset. (A chunk write
        // still in flight when the grace runs out must not be cancelled with the call's token: grpc-dotnet
        // then resets the HTTP/2 stream with CANCEL and the agent sees CANCELLED, with no reason and no
        // RetryInfo.)
        Assert.True(error.StatusCode == StatusCode.Unavailable, $"{error}\n--- daemon stdout:\n{daemon.StandardOutput}");
        Assert.Equal("SHUTTING_DOWN", error.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
        Assert.True(await upstreamRequest.Ended.WaitAsync(Daemon.Timeout), "the cut call's upstream request should be aborted");
        Assert.Equal(0, await daemon.WaitForExitAsync());
        Assert.Contains("Shutdown grace elapsed", daemon.StandardOutput);
        Assert.False(File.Exists(Socket));
    }

    [Fact]
    public async Task Start_WhenAnotherDaemonServesTheSocket_ExitsNonZeroWithAClearMessage()
    {
        await using var first = await Daemon.StartAsync(upstream: null, socketPath: Socket);

        await using var second = SidecarProcess.StartOn(Socket);
        var exitCode = await second.WaitForExitAsync();

        Assert.Equal(3, exitCode);
        Assert.Contains(Socket, second.StandardError);
        Assert.Contains("Another process is serving", second.StandardError);
        Assert.DoesNotContain("listening", second.StandardOutput, StringComparison.OrdinalIgnoreCase);
        // The refused daemon left the live socket alone.
        Assert.True(File.Exists(Socket));
        var stillServing = await first.Client.CompleteAsync(Requests.Echo("still mine")).ResponseAsync.WaitAsync(Daemon.Timeout);
        Assert.Equal("still mine", stillServing.Message.Content);
    }

    [Fact]
    public async Task Start_WithBadConfiguration_ExitsWithCode2AndListsEveryProblem()
    {
        await using var daemon = SidecarProcess.Start(
        [
            "--Sidecar:Socket=relative/sidecar.sock",
            "--Sidecar:HealthPort=70000",
            "--Sidecar:HttpPort=0",
            "--Sidecar:SocketMode=rwx",
            "--Sidecar:ClientCache:MaxEntries=0",
            "--Sidecar:Keys:bad:Provider=mystery",
            "--Sidecar:Limits:MaxMessages=0",
        ]);

        var exitCode = await daemon.WaitForExitAsync();

        Assert.Equal(2, exitCode);
        var stderr = daemon.StandardError;
        Assert.StartsWith("sidecar: Invalid configuration:", stderr);
        foreach (var key in new[] { "Sidecar:Socket", "Sidecar:HealthPort", "Sidecar:SocketMode", "Sidecar:ClientCache:MaxEntries", "Sidecar:Keys:bad:Provider", "Sidecar:Limits:MaxMessages" })
        {
            Assert.Contains(key, stderr);
        }

        // One line per problem, and no stack trace: an operator reads this in `kubectl logs`.
        Assert.Equal(6, stderr.Split('\n').Count(l => l.TrimStart().StartsWith("- ", StringComparison.Ordinal)));
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("listening", daemon.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(Path.Combine(AppContext.BaseDirectory, "relative")), "a refused start must not create anything");
    }

    /// <summary>
    /// A daemon process with a shutdown grace, in front of its own fake upstream, and one agent's stream through it
    /// whose first chunk has arrived and whose request the upstream holds.
    /// </summary>
    private sealed class StreamingDaemon : IAsyncDisposable
    {
        private StreamingDaemon(FakeUpstreamServer upstream, SidecarProcess daemon, GrpcChannel agent)
        {
            Upstream = upstream;
            Daemon = daemon;
            Agent = agent;
            Client = new Completions.CompletionsClient(agent);
        }

        public FakeUpstreamServer Upstream { get; }

        public SidecarProcess Daemon { get; }

        public GrpcChannel Agent { get; }

        public Completions.CompletionsClient Client { get; }

        public AsyncServerStreamingCall<CompleteChunk> Stream { get; private set; } = null!;

        public RecordedRequest UpstreamRequest { get; private set; } = null!;

        public static async Task<StreamingDaemon> StartAsync(string socket, string grace, string model)
        {
            var upstream = await FakeUpstreamServer.StartAsync();
            SidecarProcess daemon;
            try
            {
                daemon = await SidecarProcess.StartServingAsync(socket, upstream, $"--Sidecar:ShutdownGrace={grace}");
            }
            catch
            {
                await upstream.DisposeAsync();
                throw;
            }

            var scene = new StreamingDaemon(upstream, daemon, FunctionalTests.Daemon.SocketChannel(socket));
            try
            {
                var timeout = FunctionalTests.Daemon.Timeout;
                scene.Stream = scene.Client.StreamComplete(Requests.Fake(model), deadline: DateTime.UtcNow.Add(timeout));
                Assert.True(await scene.Stream.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(timeout));
                scene.UpstreamRequest = await upstream.NextRequestAsync(CancellationToken.None).AsTask().WaitAsync(timeout);
                return scene;
            }
            catch
            {
                await scene.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            Stream?.Dispose();
            Agent.Dispose();
            await Daemon.DisposeAsync();
            await Upstream.DisposeAsync();
        }
    }
}
