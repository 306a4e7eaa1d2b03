using System.Text;

namespace Sidecar.FunctionalTests;

/// <summary>
/// Hostile bytes on the socket of a daemon process: the binary that ships when <c>SIDECAR_DAEMON</c>
/// names it (CI's <c>aot-functional-process</c>). Each attack's connection gets a GOAWAY (or a 400) and is
/// closed, and the same process then still serves an agent. <see cref="HostileInputTests"/> checks the same
/// attacks, and many more, in depth against the in-process build.
/// </summary>
public sealed class HostileSocketProcessTests : IAsyncLifetime
{
    private readonly string _socket = Path.Combine(Directory.CreateTempSubdirectory("sidecar-hostile-proc-").FullName, "sidecar.sock");
    private FakeUpstreamServer _upstream = null!;
    private SidecarProcess _daemon = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync();
        _daemon = await SidecarProcess.StartServingAsync(_socket, _upstream);
    }

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        await _upstream.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_socket)!, recursive: true);
    }

    [Fact]
    public async Task Socket_GarbageHttp1AndJunkFrames_EachConnectionIsClosedWithAReasonAndTheProcessServesOn()
    {
        var garbage = await HostileInputTests.SendRawAsync(_socket, Enumerable.Range(0, 200).Select(i => (byte)((i * 37) + 11)).ToArray());
        HostileInputTests.AssertGoAway(Assert.Single(HostileInputTests.Frames(garbage)), HostileInputTests.H2Error.ProtocolError);

        var http1 = await HostileInputTests.SendRawAsync(_socket, Encoding.ASCII.GetBytes("POST /sidecar.v1.Completions/Complete HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 400 Bad Request", Encoding.ASCII.GetString(http1));

        foreach (var junk in HostileInputTests.JunkAfterPreface())
        {
            var name = (string)junk[0];
            byte[] bytes = [.. HostileInputTests.Preface, .. HostileInputTests.Frame(type: 0x4, flags: 0, stream: 0, []), .. (byte[])junk[1]];
            var received = await HostileInputTests.SendRawAsync(_socket, bytes);
            var last = HostileInputTests.Frames(received).LastOrDefault();
            Assert.True(last.Type == 0x7, $"{name}: the last frame should be a GOAWAY, got type {last.Type}");
            if (junk[2] is HostileInputTests.H2Error expected)
            {
                HostileInputTests.AssertGoAway(last, expected);
            }
        }

        using var agent = Daemon.SocketChannel(_socket);
        var answer = await new Completions.CompletionsClient(agent).CompleteAsync(Requests.Fake("fake-1", "still here")).ResponseAsync.WaitAsync(Daemon.Timeout);
        Assert.Equal("fake: still here", answer.Message.Content);
    }

    [Fact]
    public async Task Complete_OverTheReceiveLimitAndTooManyMessages_AreRefusedWithStatusesAndTheProcessServesOn()
    {
        using var agent = Daemon.SocketChannel(_socket);
        var client = new Completions.CompletionsClient(agent);
        var huge = Requests.Fake("fake-1", new string('x', 9 * 1024 * 1024));
        var many = Requests.Fake("fake-1", "hi");
        for (var i = 0; i < 100_000; i++)
        {
            many.Messages.Add(new Message { Role = Role.User, Content = "m" });
        }

        await RpcAssert.FailsAsync(() => client.CompleteAsync(huge).ResponseAsync, StatusCode.ResourceExhausted);
        await RpcAssert.FailsAsync(() => client.CompleteAsync(many).ResponseAsync, StatusCode.InvalidArgument, "INVALID_REQUEST");

        var answer = await client.CompleteAsync(Requests.Fake("fake-1", "still here")).ResponseAsync.WaitAsync(Daemon.Timeout);
        Assert.Equal("fake: still here", answer.Message.Content);
        Assert.DoesNotContain(_upstream.Requests, r => r.Body.ToJsonString().Length > 1024 * 1024);
    }
}
