using System.Net;
using Google.Rpc;
using Grpc.Health.V1;
using Microsoft.Extensions.Options;
using Sidecar.Api;
using Sidecar.Configuration;
using Sidecar.Hosting;

namespace Sidecar.FunctionalTests;

/// <summary>Listeners, health, the socket file and graceful stop, on the real daemon.</summary>
public sealed class HostingTests
{
    [Theory]
    [InlineData("")]
    [InlineData("liveness")]
    [InlineData("readiness")]
    [InlineData("sidecar.v1.Completions")]
    public async Task HealthCheck_OverTcpAndOverTheSocket_IsServing(string service)
    {
        await using var daemon = await Daemon.StartAsync(upstream: null);
        using var tcp = daemon.HealthPortChannel();

        var overTcp = await new HealthClient(tcp).CheckAsync(new HealthCheckRequest { Service = service }).ResponseAsync.WaitAsync(Daemon.Timeout);
        var overSocket = await daemon.SocketHealth.CheckAsync(new HealthCheckRequest { Service = service }).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, overTcp.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, overSocket.Status);
    }

    [Fact]
    public async Task HttpPort_HealthzAndReadyz_AnswerHealthy()
    {
        await using var daemon = await Daemon.StartAsync(upstream: null);
        using var http = daemon.HttpPortClient();

        var healthz = await http.GetAsync("/healthz").WaitAsync(Daemon.Timeout);
        var readyz = await http.GetAsync("/readyz").WaitAsync(Daemon.Timeout);

        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.Equal(HttpStatusCode.OK, readyz.StatusCode);
        Assert.Equal("Healthy", await readyz.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TcpPorts_NeverServeCompletions()
    {
        await using var daemon = await Daemon.StartAsync(upstream: null);
        using var tcp = daemon.HealthPortChannel();
        using var http = daemon.HttpPortClient();

        var overHealthPort = new Completions.CompletionsClient(tcp);
        await RpcAssert.FailsAsync(() => overHealthPort.CompleteAsync(Requests.Echo("hi")).ResponseAsync, StatusCode.Unimplemented);
        var overHttpPort = await http.PostAsync("/sidecar.v1.Completions/Complete", new ByteArrayContent([0, 0, 0, 0, 0])).WaitAsync(Daemon.Timeout);
        Assert.Equal(HttpStatusCode.NotFound, overHttpPort.StatusCode);
    }

    [Fact]
    public async Task TcpPorts_ConnectionsOverTheCap_AreClosedWhileTheSocketKeepsServing()
    {
        await using var daemon = await Daemon.StartAsync(upstream: null, new Dictionary<string, string> { ["Sidecar:PortMaxConnections"] = "2" });
        var healthz = System.Text.Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");

        // Two keep-alive connections, each answered once, so the daemon holds both.
        using var first = await RawTcpAsync(daemon.HttpPort);
        using var second = await RawTcpAsync(daemon.HttpPort);
        Assert.StartsWith("HTTP/1.1 200", await ExchangeAsync(first, healthz));
        Assert.StartsWith("HTTP/1.1 200", await ExchangeAsync(second, healthz));

        Assert.Equal(string.Empty, await ConnectAndExchangeAsync(daemon.HttpPort, healthz));

        var response = await daemon.Client.CompleteAsync(Requests.Echo("socket unaffected")).ResponseAsync.WaitAsync(Daemon.Timeout);
        Assert.Equal("socket unaffected", response.Message.Content);
        Assert.StartsWith("HTTP/1.1 200", await ExchangeAsync(first, healthz));
    }

    [Fact]
    public async Task HealthPort_WatchStreamsOverTheCap_AreRefusedWhileTheSocketKeepsServing()
    {
        await using var daemon = await Daemon.StartAsync(upstream: null, new Dictionary<string, string> { ["Sidecar:PortMaxRequests"] = "2" });
        using var tcp = daemon.HealthPortChannel();
        var health = new HealthClient(tcp);
        using var release = new CancellationTokenSource();

        using var one = health.Watch(new HealthCheckRequest { Service = "readiness" }, cancellationToken: release.Token);
        using var two = health.Watch(new HealthCheckRequest { Service = "liveness" }, cancellationToken: release.Token);
        Assert.True(await one.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout));
        Assert.True(await two.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout));
        using var three = health.Watch(new HealthCheckRequest { Service = "" }, cancellationToken: release.Token);
        var refused = await Assert.ThrowsAsync<RpcException>(() => three.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout));

        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        var overSocket = await daemon.SocketHealth.CheckAsync(new HealthCheckRequest { Service = "readiness" }).ResponseAsync.WaitAsync(Daemon.Timeout);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, overSocket.Status);
        release.Cancel();
    }

    private static async Task<System.Net.Sockets.Socket> RawTcpAsync(int port)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Daemon.Timeout);
        return socket;
    }

    /// <summary>
    /// A connection over the cap is closed by the daemon as soon as it is accepted; the reset may reach
    /// the client while its connect is still completing, or later while it talks: either way nothing is served.
    /// </summary>
    private static async Task<string> ConnectAndExchangeAsync(int port, byte[] request)
    {
        System.Net.Sockets.Socket socket;
        try
        {
            socket = await RawTcpAsync(port);
        }
        catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode is System.Net.Sockets.SocketError.ConnectionReset)
        {
            return string.Empty;
        }

        using (socket)
        {
            return await ExchangeAsync(socket, request);
        }
    }

    /// <summary>
    /// Sends a request and reads one whole response; empty when the daemon closed the connection instead.
    /// The response is read to its end (Content-Length or the last chunk) because TCP may split it
    /// across reads, and a piece left unread would be taken for the next exchange's answer.
    /// </summary>
    private static async Task<string> ExchangeAsync(System.Net.Sockets.Socket socket, byte[] request)
    {
        var buffer = new byte[4096];
        var received = new System.Text.StringBuilder();
        try
        {
            await socket.SendAsync(request).WaitAsync(Daemon.Timeout);
            while (!IsWholeResponse(received.ToString()))
            {
                var n = await socket.ReceiveAsync(buffer).WaitAsync(Daemon.Timeout);
                if (n == 0)
                {
                    break;
                }

                received.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            }

            return received.ToString();
        }
        catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode is System.Net.Sockets.SocketError.ConnectionReset or System.Net.Sockets.SocketError.Shutdown)
        {
            return string.Empty;
        }
    }

    private static bool IsWholeResponse(string text)
    {
        var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headerEnd < 0)
        {
            return false;
        }

        var headers = text[..headerEnd];
        var body = text[(headerEnd + 4)..];
        if (headers.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            return body.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
        }

        var length = System.Text.RegularExpressions.Regex.Match(headers, @"Content-Length:\s*(\d+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        return !length.Success || body.Length >= int.Parse(length.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Socket_IsCreatedWithMode0660()
    {
        await using var daemon = await Daemon.StartAsync(upstream: null);

        var mode = File.GetUnixFileMode(daemon.Socket);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, mode);
    }

    [Fact]
    public async Task Start_OnAStaleSocketFile_ReplacesIt()
    {
        var dir = Directory.CreateTempSubdirectory("sidecar-stale-");
        var path = Path.Combine(dir.FullName, "stale.sock");
        // What a killed daemon leaves: a socket file nobody listens on. (.NET unlinks its own on
        // dispose, so another process binds it and exits.)
        using (var bind = System.Diagnostics.Process.Start("/usr/bin/python3", ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path]))
        {
            await bind.WaitForExitAsync().WaitAsync(Daemon.Timeout);
            Assert.Equal(0, bind.ExitCode);
        }

        Assert.True(File.Exists(path));
        await using var daemon = await Daemon.StartAsync(upstream: null, socketPath: path);

        var response = await daemon.Client.CompleteAsync(Requests.Echo("still here")).ResponseAsync.WaitAsync(Daemon.Timeout);
        Assert.Equal("still here", response.Message.Content);
        // Deleting a file at start is announced: the log is where an operator sees it happened.
        Assert.Contains(daemon.LogLines, l => l.Contains("Removed stale socket file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_WhereALiveDaemonAnswers_Refuses()
    {
        await using var first = await Daemon.StartAsync(upstream: null);

        var error = await Assert.ThrowsAsync<SocketFileException>(() => Daemon.StartAsync(upstream: null, socketPath: first.Socket));

        Assert.Contains("Another process is serving", error.Message);
        var stillServing = await first.Client.CompleteAsync(Requests.Echo("ok")).ResponseAsync.WaitAsync(Daemon.Timeout);
        Assert.Equal("ok", stillServing.Message.Content);
    }

    [Fact]
    public async Task Start_WhereARegularFileSits_RefusesAndKeepsTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("sidecar-file-");
        var path = Path.Combine(dir.FullName, "not-a-socket");
        await File.WriteAllTextAsync(path, "precious");

        await Assert.ThrowsAsync<SocketFileException>(() => Daemon.StartAsync(upstream: null, socketPath: path));

        Assert.Equal("precious", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task Start_WithInvalidConfiguration_ListsEveryProblem()
    {
        var error = await Assert.ThrowsAsync<InvalidConfigurationException>(() => Daemon.StartAsync(upstream: null, new Dictionary<string, string>
        {
            ["Sidecar:ClientCache:MaxEntries"] = "0",
            ["Sidecar:Keys:bad:Provider"] = "mystery",
        }));

        Assert.Contains("Sidecar:ClientCache:MaxEntries", error.Message);
        Assert.Contains("Sidecar:Keys:bad:Provider", error.Message);
    }

    [Fact]
    public async Task Start_WithAValueThatDoesNotConvert_IsAnInvalidConfigurationNamingTheSetting()
    {
        var error = await Assert.ThrowsAsync<InvalidConfigurationException>(() => Daemon.StartAsync(upstream: null, new Dictionary<string, string>
        {
            ["Sidecar:Resilience:MaxConcurrentStreams"] = "many",
        }));

        Assert.Contains("Sidecar:Resilience:MaxConcurrentStreams", Assert.Single(error.Problems));
    }

    [Fact]
    public async Task Start_ReadsTheSettingsOnce_TheStartSettingsAreTheLiveOnes()
    {
        await using var daemon = await Daemon.StartAsync(upstream: null);

        var atStart = daemon.App.Services.GetRequiredService<IOptions<SidecarOptions>>().Value;
        Assert.Same(atStart, daemon.App.Services.GetRequiredService<LiveOptions>().Current);
    }

    [Fact]
    public async Task Stop_DuringAStream_TurnsNotServingRefusesNewCallsAndLetsTheStreamFinish()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        var daemon = await Daemon.StartAsync(upstream);
        try
        {
            var readiness = new HealthCheckRequest { Service = "readiness" };
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await daemon.SocketHealth.CheckAsync(readiness).ResponseAsync.WaitAsync(Daemon.Timeout)).Status);

            using var stream = daemon.Client.StreamComplete(Requests.Fake("fake-drip-200"));
            Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout));

            // A call the upstream never answers holds the drain open until the test lets it go, so the
            // late call below lands during the drain however slow the machine is.
            using var release = new CancellationTokenSource();
            using var holder = daemon.Client.CompleteAsync(Requests.Fake("fake-hang"), cancellationToken: release.Token);
            Assert.Equal("fake-drip-200", (await upstream.NextRequestAsync(CancellationToken.None).AsTask().WaitAsync(Daemon.Timeout)).Model);
            Assert.Equal("fake-hang", (await upstream.NextRequestAsync(CancellationToken.None).AsTask().WaitAsync(Daemon.Timeout)).Model);

            var stopping = daemon.App.StopAsync();

            // Readiness flips while the listeners are still open (gRPC Check and /readyz run the checks now).
            await daemon.App.Services.GetRequiredService<CallTracker>().WhenDraining.WaitAsync(Daemon.Timeout);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await daemon.SocketHealth.CheckAsync(readiness).ResponseAsync.WaitAsync(Daemon.Timeout)).Status);
            using (var http = daemon.HttpPortClient())
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz").WaitAsync(Daemon.Timeout)).StatusCode);
            }

            // A new agent connecting while the daemon drains: the held call keeps the listener open, so the daemon
            // itself refuses the call. The refusal is a trailers-only response: status, message and the
            // grpc-status-details-bin details leave in one HEADERS frame, so the reason arrives with the message.
            using var fresh = Daemon.SocketChannel(daemon.Socket);
            var late = await RpcAssert.FailsAsync(() => new Completions.CompletionsClient(fresh).CompleteAsync(Requests.Echo("late")).ResponseAsync, StatusCode.Unavailable, "SHUTTING_DOWN");
            Assert.Contains("shutting down", late!.Message);

            var rest = new List<CompleteChunk>();
            while (await stream.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout))
            {
                rest.Add(stream.ResponseStream.Current);
            }

            Assert.Equal(FinishReason.Stop, rest[^1].FinishReason);
            Assert.Equal(200, 1 + rest.Count(c => c.ContentDelta == "tick "));
            Assert.False(stopping.IsCompleted, "the drain waits for the held call");
            release.Cancel();
            await stopping.WaitAsync(Daemon.Timeout);
            Assert.False(File.Exists(daemon.Socket));
        }
        finally
        {
            await daemon.DisposeAsync();
        }
    }

    [Fact]
    public async Task Stop_WhenGraceRunsOut_CancelsTheCallWithAClearStatus()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        var daemon = await Daemon.StartAsync(upstream, new Dictionary<string, string> { ["Sidecar:ShutdownGrace"] = "00:00:00.500" });
        try
        {
            using var stream = daemon.Client.StreamComplete(Requests.Fake("fake-drip"));
            Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout));

            var stopping = daemon.App.StopAsync();

            var error = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                while (await stream.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout))
                {
                }
            });
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            Assert.Equal("SHUTTING_DOWN", error.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
            await stopping.WaitAsync(Daemon.Timeout);
            Assert.True(await upstream.Requests.Single().Ended.WaitAsync(Daemon.Timeout));
        }
        finally
        {
            await daemon.DisposeAsync();
        }
    }
}
