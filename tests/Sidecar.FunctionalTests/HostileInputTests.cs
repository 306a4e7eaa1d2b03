using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using Google.Rpc;
using Microsoft.Extensions.Hosting;
using Sidecar.Hosting;

namespace Sidecar.FunctionalTests;

/// <summary>
/// Whatever a local process writes to the socket, a key file holds or an upstream answers, the daemon
/// answers that caller with a clear error (an HTTP/2 GOAWAY, a gRPC status) and carries on: a stream in
/// flight for another agent finishes whole, a new agent is served, and nothing but that stream reaches its
/// upstream (hostile answers come from a second fake upstream). Each test checks all three, and all the
/// tests of this class hit one and the same daemon, one after the other.
/// </summary>
public sealed class HostileInputTests(HostileInputTests.Target target) : IClassFixture<HostileInputTests.Target>
{
    private const string ProbeModel = "fake-drip-10";

    internal static readonly byte[] Preface = Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

    /// <summary>HTTP/2 error codes (RFC 9113, section 7).</summary>
    public enum H2Error
    {
        NoError = 0x0,
        ProtocolError = 0x1,
        FrameSizeError = 0x6,
        CompressionError = 0x9,
    }

    [Fact]
    public async Task Socket_GarbageInsteadOfHttp2_TheConnectionGetsAProtocolErrorGoAwayAndIsClosed()
    {
        var garbage = Enumerable.Range(0, 200).Select(i => (byte)((i * 37) + 11)).ToArray();

        var received = await WhileAnotherAgentStreamsAsync(() => SendRawAsync(garbage));

        // Kestrel does not even send its SETTINGS: the preface is wrong, so it says why and hangs up.
        var frame = Assert.Single(Frames(received));
        AssertGoAway(frame, H2Error.ProtocolError);
    }

    [Fact]
    public async Task Socket_Http1Request_GetsA400NamingTheProblemAndIsClosed()
    {
        var received = await WhileAnotherAgentStreamsAsync(() => SendRawAsync(Encoding.ASCII.GetBytes("POST /sidecar.v1.Completions/Complete HTTP/1.1\r\nHost: x\r\n\r\n")));

        var text = Encoding.ASCII.GetString(received);
        Assert.StartsWith("HTTP/1.1 400 Bad Request", text);
        Assert.Contains("An HTTP/1.x request was sent to an HTTP/2 only endpoint.", text);
    }

    public static TheoryData<string, byte[], H2Error?> JunkAfterPreface() => new()
    {
        // A frame header announcing 16 MiB, over the 16 KiB frame size the server allows.
        { "oversized frame", Header(0xFF_FFFF, type: 0x0, flags: 0, stream: 1), H2Error.FrameSizeError },
        // HEADERS whose header block is not valid HPACK.
        { "undecodable header block", Frame(type: 0x1, flags: 0x5, stream: 1, Enumerable.Repeat((byte)0xFF, 16).ToArray()), H2Error.CompressionError },
        // DATA on a stream that was never opened.
        { "data on an idle stream", Frame(type: 0x0, flags: 0x1, stream: 1, [1, 2, 3]), H2Error.ProtocolError },
        // SETTINGS whose length is not a multiple of 6.
        { "settings of a bad length", Frame(type: 0x4, flags: 0, stream: 0, [1, 2, 3, 4, 5]), H2Error.FrameSizeError },
        // WINDOW_UPDATE with a zero increment on the connection.
        { "zero window update", Frame(type: 0x8, flags: 0, stream: 0, [0, 0, 0, 0]), H2Error.ProtocolError },
        // CONTINUATION with no HEADERS before it.
        { "stray continuation", Frame(type: 0x9, flags: 0x4, stream: 1, [0x82]), H2Error.ProtocolError },
        // Noise: whatever it parses as, it is a connection error.
        { "random bytes", new Random(7).GetItems(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 512), null },
    };

    [Theory]
    [MemberData(nameof(JunkAfterPreface))]
    public async Task Socket_ValidPrefaceThenJunkFrames_TheConnectionGetsAGoAwayWithTheRightErrorAndIsClosed(string junk, byte[] frames, H2Error? expected)
    {
        byte[] bytes = [.. Preface, .. Frame(type: 0x4, flags: 0, stream: 0, []), .. frames];

        var received = await WhileAnotherAgentStreamsAsync(() => SendRawAsync(bytes));

        var goAway = Frames(received).LastOrDefault();
        Assert.True(goAway.Type == 0x7, $"{junk}: the last frame should be a GOAWAY, got type {goAway.Type}");
        if (expected is { } code)
        {
            AssertGoAway(goAway, code);
        }
        else
        {
            Assert.NotEqual(H2Error.NoError, (H2Error)BinaryPrimitives.ReadUInt32BigEndian(goAway.Payload.AsSpan(4)));
        }
    }

    public static TheoryData<string, string, byte[], StatusCode> MalformedGrpcBodies()
    {
        var valid = Requests.Fake("fake-1").ToByteArray();
        return new()
        {
            // Not protobuf: a tag with wire type 7, which does not exist. grpc-dotnet parses the request before
            // the service runs, so the daemon cannot map this; it reports UNKNOWN ("Exception was thrown by
            // handler"). The gRPC spec lists INTERNAL for "error parsing request proto"; either way that caller
            // gets an error and nobody else notices.
            { "not protobuf", "Complete", Grpc([0x0F, 0x01, 0x02, 0x03]), StatusCode.Unknown },
            { "not protobuf, streaming", "StreamComplete", Grpc([0x0F, 0x01, 0x02, 0x03]), StatusCode.Unknown },
            // A varint that never ends.
            { "endless varint", "Complete", Grpc([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]), StatusCode.Unknown },
            // 100 000 nested unknown groups (field 15, start-group): the parser's recursion limit (100) stops
            // it, where an unbounded parser would overflow the stack and take the daemon down.
            { "100 000 nested groups", "Complete", Grpc(Enumerable.Repeat((byte)0x7B, 100_000).ToArray()), StatusCode.Unknown },
            { "length prefix promises more than is sent", "Complete", [0, 0, 0, 0, 100, 1, 2, 3], StatusCode.Internal },
            { "no message at all", "Complete", [], StatusCode.Internal },
            { "two messages for a unary call", "Complete", [.. Grpc(valid), .. Grpc(valid)], StatusCode.Internal },
            { "compressed flag without grpc-encoding", "Complete", [1, .. Grpc(valid)[1..]], StatusCode.Internal },
            // A 2 GiB length prefix is refused from the prefix alone, before anything is buffered.
            { "2 GiB length prefix", "Complete", [0, 0x7F, 0xFF, 0xFF, 0xF0, 1, 2, 3], StatusCode.ResourceExhausted },
            // Past int.MaxValue grpc-dotnet throws an IOException ("Message too large"): UNKNOWN again.
            { "4 GiB length prefix", "Complete", [0, 0xFF, 0xFF, 0xFF, 0xF0, 1, 2, 3], StatusCode.Unknown },
            { "a method that does not exist", "Uncomplete", Grpc(valid), StatusCode.Unimplemented },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedGrpcBodies))]
    public async Task Call_MalformedGrpcBody_FailsThatCallWithAStatus(string malformed, string method, byte[] body, StatusCode expected)
    {
        var (http, status, message) = await WhileAnotherAgentStreamsAsync(() => PostGrpcAsync(method, body, "application/grpc"));

        Assert.True(http == HttpStatusCode.OK, $"{malformed}: HTTP {http}");
        Assert.Equal(expected, status);
        Assert.False(string.IsNullOrEmpty(message), $"{malformed}: grpc-message should say what went wrong");
    }

    [Fact]
    public async Task Call_WrongContentType_Is415WithAGrpcStatus()
    {
        var (http, status, message) = await WhileAnotherAgentStreamsAsync(() => PostGrpcAsync("Complete", Encoding.UTF8.GetBytes("{\"key_ref\":\"fake\"}"), "application/json"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, http);
        Assert.Equal(StatusCode.Internal, status);
        Assert.Contains("application/json", message);
    }

    [Fact]
    public async Task Complete_OverTheReceiveLimit_IsResourceExhausted()
    {
        var request = Requests.Fake("fake-1");
        request.Messages[0].Content = new string('x', 9 * 1024 * 1024); // the limit is 2 × 4 MiB

        await WhileAnotherAgentStreamsAsync(() => RpcAssert.FailsAsync(() => NewAgent().CompleteAsync(request).ResponseAsync, StatusCode.ResourceExhausted));
    }

    [Fact]
    public async Task Complete_100000Messages_IsInvalidArgumentNamingTheLimit()
    {
        var request = Requests.Fake("fake-1");
        for (var i = 1; i < 100_000; i++)
        {
            request.Messages.Add(new Message { Role = Role.User, Content = "x" });
        }

        var status = await WhileAnotherAgentStreamsAsync(() => RpcAssert.FailsAsync(() => NewAgent().CompleteAsync(request).ResponseAsync, StatusCode.InvalidArgument, "INVALID_REQUEST"));

        var violation = Assert.Single(status!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal("messages", violation.Field);
        Assert.Contains("100000 messages; the limit is 1000", violation.Description);
    }

    [Theory]
    [InlineData("tools[0].parameters_json_schema")]
    [InlineData("response_format.json_schema")]
    [InlineData("messages[0].tool_calls[0].arguments_json")]
    public async Task Complete_DeeplyNestedJson_IsInvalidArgumentNamingTheField(string field)
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 100_000)) + "{}" + new string('}', 100_000);
        var request = Requests.Fake("fake-1");
        switch (field)
        {
            case "tools[0].parameters_json_schema":
                request.Tools.Add(new Tool { Name = "weather", ParametersJsonSchema = deep });
                break;
            case "response_format.json_schema":
                request.ResponseFormat = new ResponseFormat { Type = ResponseFormatType.JsonSchema, JsonSchemaName = "answer", JsonSchema = deep };
                break;
            default:
                request.Messages.Clear();
                request.Messages.Add(new Message { Role = Role.Assistant, ToolCalls = { new ToolCall { Id = "call_1", Name = "weather", ArgumentsJson = deep } } });
                break;
        }

        var status = await WhileAnotherAgentStreamsAsync(() => RpcAssert.FailsAsync(() => NewAgent().CompleteAsync(request).ResponseAsync, StatusCode.InvalidArgument, "INVALID_REQUEST"));

        var violation = Assert.Single(status!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal(field, violation.Field);
        Assert.Contains("at most 32 levels deep", violation.Description);
    }

    [Theory]
    [InlineData("key_ref")]
    [InlineData("tools[0].name")]
    [InlineData("messages[0].tool_calls[0].name")]
    [InlineData("response_format.json_schema_name")]
    public async Task Complete_NameWithATrailingNewline_IsInvalidArgumentNamingTheField(string field)
    {
        var request = Requests.Fake("fake-1");
        switch (field)
        {
            case "key_ref":
                request.KeyRef = "fake\n";
                break;
            case "tools[0].name":
                request.Tools.Add(new Tool { Name = "weather\n", ParametersJsonSchema = "{}" });
                break;
            case "messages[0].tool_calls[0].name":
                request.Messages.Clear();
                request.Messages.Add(new Message { Role = Role.Assistant, ToolCalls = { new ToolCall { Id = "call_1", Name = "weather\n", ArgumentsJson = "{}" } } });
                break;
            default:
                request.ResponseFormat = new ResponseFormat { Type = ResponseFormatType.JsonSchema, JsonSchemaName = "answer\n", JsonSchema = "{}" };
                break;
        }

        var status = await WhileAnotherAgentStreamsAsync(() => RpcAssert.FailsAsync(() => NewAgent().CompleteAsync(request).ResponseAsync, StatusCode.InvalidArgument, "INVALID_REQUEST"));

        var violation = Assert.Single(status!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal(field, violation.Field);
    }

    // A hostile local user at the socket's path (issue 10, item 2). These start daemons of their own: what
    // they attack is start-up, before anything is served.

    [Theory]
    [InlineData("0777")]
    [InlineData("0770")]
    [InlineData("0733")]
    public async Task Start_InAFolderOthersCanWrite_ExitsWithCode2NamingTheFolder(string folderMode)
    {
        using var dir = TempFolder.Create("sidecar-open-", folderMode);

        await using var daemon = SidecarProcess.StartOn(dir.Socket);

        Assert.Equal(2, await daemon.WaitForExitAsync());
        Assert.Contains($"the folder {dir.FullName} (mode {folderMode}", daemon.StandardError);
        Assert.Contains("others can write it and it is not sticky", daemon.StandardError);
        Assert.False(File.Exists(dir.Socket), "a refused start binds nothing");
    }

    [Fact]
    public async Task Start_InAFolderOthersCanWrite_WithAllowWritableSocketFolder_ServesWithTheConfiguredMode()
    {
        // What a Kubernetes emptyDir looks like.
        using var dir = TempFolder.Create("sidecar-emptydir-", "0777");
        await using var daemon = await Daemon.StartAsync(
            upstream: null,
            new Dictionary<string, string> { ["Sidecar:AllowWritableSocketFolder"] = "true" },
            socketPath: dir.Socket);

        var response = await daemon.Client.CompleteAsync(Requests.Echo("shared")).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal("shared", response.Message.Content);
        Assert.Equal(TempFolder.Mode("0660"), File.GetUnixFileMode(daemon.Socket));
    }

    [Fact]
    public async Task Start_InAFolderOfAnotherUser_ExitsWithCode2()
    {
        // 0755: only its owner, someone else, can write it.
        using var dir = TempFolder.Create("sidecar-theirs-", "0755");
        Posix.ChangeOwner(dir.FullName, Posix.EffectiveUid() + 4321, uint.MaxValue);

        await using var daemon = SidecarProcess.StartOn(dir.Socket);

        Assert.Equal(2, await daemon.WaitForExitAsync());
        Assert.Contains($"belongs to uid {Posix.EffectiveUid() + 4321}", daemon.StandardError);
    }

    [Fact]
    public async Task Start_InAStickyFolderOfTheDaemonsUser_Serves()
    {
        // As /tmp is, but owned by the daemon's user: others may add files, never remove or rename ours.
        using var dir = TempFolder.Create("sidecar-sticky-", "1777");
        await using var daemon = await Daemon.StartAsync(upstream: null, socketPath: dir.Socket);

        var response = await daemon.Client.CompleteAsync(Requests.Echo("sticky")).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal("sticky", response.Message.Content);
    }

    [Fact]
    public async Task Start_WhereAFifoSits_RefusesAtOnceAndKeepsIt()
    {
        using var dir = TempFolder.Create("sidecar-fifo-");
        Posix.MakeFifo(dir.Socket);

        // Opening a FIFO to look at it waits for a writer forever; the daemon must only look at its type.
        await using var daemon = SidecarProcess.StartOn(dir.Socket);

        Assert.Equal(3, await daemon.WaitForExitAsync());
        Assert.Contains($"{dir.Socket} exists and is a FIFO, not a socket", daemon.StandardError);
        Assert.Equal(FileStatus.Fifo, FileStatus.OfPath(dir.Socket)?.Type);
    }

    [Fact]
    public async Task Start_WhereASymlinkSits_RefusesAndLeavesTheLinkAndItsTargetAlone()
    {
        using var dir = TempFolder.Create("sidecar-link-");
        var target = Path.Combine(dir.FullName, "precious");
        await File.WriteAllTextAsync(target, "precious");
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.CreateSymbolicLink(dir.Socket, target);

        var error = await Assert.ThrowsAsync<SocketFileException>(() => Daemon.StartAsync(upstream: null, socketPath: dir.Socket));

        Assert.Contains("is a symbolic link, not a socket", error.Message);
        Assert.Equal(target, new FileInfo(dir.Socket).LinkTarget);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
        Assert.Equal("precious", await File.ReadAllTextAsync(target));
    }

    [Fact]
    public async Task Start_WhenTheSocketIsSwappedForASymlinkAfterBind_NeitherChmodNorChownReachesTheTarget()
    {
        using var dir = TempFolder.Create("sidecar-swap-");
        var socket = dir.Socket;
        var target = Path.Combine(dir.FullName, "precious");
        await File.WriteAllTextAsync(target, "precious");
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var targetGid = FileStatus.OfPath(target)!.Value.Gid;
        var app = SidecarApp.Create(
            [$"--Sidecar:Socket={socket}", "--Sidecar:HealthPort=0", "--Sidecar:HttpPort=0", "--Sidecar:SocketMode=0666", $"--Sidecar:SocketGroup={targetGid + 4242}"],
            // The racer acts between the bind and the moment the daemon sets mode and group: first in line
            // among the services told the host has started.
            builder => builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(new SocketSwapper(socket, target))));
        try
        {
            var error = await Assert.ThrowsAsync<SocketFileException>(() => app.StartAsync().WaitAsync(Daemon.Timeout));

            Assert.Contains("is no longer the socket this daemon bound (found a symbolic link", error.Message);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
            Assert.Equal(targetGid, FileStatus.OfPath(target)!.Value.Gid);
        }
        finally
        {
            await app.StopAsync().WaitAsync(Daemon.Timeout);
            await app.DisposeAsync();
        }
    }

    // A key file or an upstream that is hostile (issue 10, items 3, 7, 8 and 9): these go through the shared daemon.

    [Theory]
    [InlineData("crlf-key")]
    [InlineData("nbsp-key")]
    public async Task Complete_KeyHoldingACharacterOutsidePrintableAscii_IsKeyUnavailableNeverSentAndOpensNoBreaker(string keyRef)
    {
        await WhileAnotherAgentStreamsAsync(async () =>
        {
            // More calls than the endpoint breaker's minimum throughput (10): none may count against it.
            for (var i = 0; i < 12; i++)
            {
                var request = Requests.Fake("fake-1");
                request.KeyRef = keyRef;
                await RpcAssert.FailsAsync(() => NewAgent().CompleteAsync(request).ResponseAsync, StatusCode.FailedPrecondition, "KEY_UNAVAILABLE");
            }

            // The next agent on that endpoint is served: no breaker opened, no pooled connection was poisoned.
            var next = await NewAgent().CompleteAsync(Requests.Fake(ProbeModel)).ResponseAsync.WaitAsync(Daemon.Timeout);
            Assert.Equal(FinishReason.Stop, next.FinishReason);
            return true;
        });

        // The caller is told KEY_UNAVAILABLE and nothing about the key itself; the operator reads why in the log.
        Assert.Contains(target.Daemon.LogLines, l => l.Contains($"key_ref {keyRef}: secret unavailable: the key holds", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Complete_KeyInAnEnvironmentVariableWithAByteOrderMark_ReachesTheUpstreamWithoutIt()
    {
        var request = Requests.Fake("fake-1@bom", "ping");
        request.KeyRef = "bom-key";

        var answer = await WhileAnotherAgentStreamsAsync(() => NewAgent().CompleteAsync(request).ResponseAsync);

        Assert.Equal("fake: ping", answer.Message.Content);
        Assert.Equal($"Bearer {Target.BomKey}", Assert.Single(target.Hostile("bom").Requests, r => r.Model == "fake-1@bom").Authorization);
    }

    [Fact]
    public async Task StreamComplete_UpstreamSendsA64MiBLine_BreaksTheStreamAtTheEventLimit()
    {
        const string model = "fake-huge-64@line";

        var status = await WhileAnotherAgentStreamsAsync(() => BreaksAfterItsFirstChunkAsync(Hostile("line", model)));

        Assert.Contains("Sidecar:Upstream:MaxEventBytes", status!.Message);
        Assert.Single(target.Hostile("line").Requests, r => r.Model == model);
    }

    [Fact]
    public async Task Complete_UpstreamAnswersWithA32MiBBody_IsUnavailableAtTheResponseLimit()
    {
        const string model = "fake-huge-32@body";

        var status = await WhileAnotherAgentStreamsAsync(() =>
            RpcAssert.FailsAsync(() => NewAgent().CompleteAsync(Hostile("body", model)).ResponseAsync, StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE"));

        Assert.Contains("Sidecar:Upstream:MaxResponseBytes", status!.Message);
        Assert.Equal(3, target.Hostile("body").CountFor(model)); // an attempt like any other failed one: retried
    }

    [Fact]
    public async Task StreamComplete_UpstreamSendsAn8MiBContentDelta_AClientWithDefaultLimitsGetsItWholeInChunksUnder1MiB()
    {
        using var channel = Daemon.SocketChannel(target.Daemon.Socket, grpcDefaultLimits: true);
        var client = new Completions.CompletionsClient(channel);

        var chunks = await WhileAnotherAgentStreamsAsync(() => CompletionsTests.ReadAllAsync(client.StreamComplete(Hostile("delta", "fake-bigdelta-8@split"))));

        var content = string.Concat(chunks.Select(c => c.ContentDelta));
        Assert.Equal(8 * 1024 * 1024, content.Length);
        Assert.False(content.AsSpan().ContainsAnyExcept('x'));
        Assert.True(chunks.Count(c => c.ContentDelta.Length > 0) >= 8, $"{chunks.Length} chunks");
        Assert.All(chunks, c => Assert.True(c.CalculateSize() < 1024 * 1024, $"a chunk of {c.CalculateSize()} bytes"));
        Assert.Equal(FinishReason.Stop, chunks[^1].FinishReason);
    }

    [Theory]
    [InlineData("fake-notjson", "its 200 answer is not a chat completion with a choice (invalid JSON)")]
    [InlineData("fake-error-object", "its 200 answer carries an error object: The server had an error while processing your request. (type: server_error, code: overloaded)")]
    [InlineData("fake-no-choices", "its 200 answer is not a chat completion with a choice")]
    public async Task Complete_UpstreamAnswers200WithoutAUsableCompletion_IsRetriedThenUnavailableWithAWarningWithoutStackTrace(string scenario, string why)
    {
        var model = $"{scenario}@unary";
        var warningsBefore = UnusableAnswerWarnings().Count;

        var status = await WhileAnotherAgentStreamsAsync(() =>
            RpcAssert.FailsAsync(() => NewAgent().CompleteAsync(Hostile(scenario[5..], model)).ResponseAsync, StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE"));

        Assert.Contains(why, status!.Message);
        Assert.Equal(3, target.Hostile(scenario[5..]).CountFor(model));
        var warnings = UnusableAnswerWarnings();
        Assert.Equal(warningsBefore + 3, warnings.Count);
        Assert.All(warnings, l => Assert.DoesNotContain("   at ", l));
    }

    [Fact]
    public async Task StreamComplete_UpstreamSendsMalformedDataBeforeAnyText_IsRetriedThenUnavailable()
    {
        const string model = "fake-notjson@stream";

        var status = await WhileAnotherAgentStreamsAsync(() =>
            RpcAssert.FailsAsync(() => CompletionsTests.ReadAllAsync(NewAgent().StreamComplete(Hostile("stream-notjson", model))), StatusCode.Unavailable, "UPSTREAM_UNAVAILABLE"));

        Assert.Contains("malformed server-sent event data (invalid JSON)", status!.Message);
        Assert.Equal(3, target.Hostile("stream-notjson").CountFor(model));
    }

    [Fact]
    public async Task StreamComplete_UpstreamSendsMalformedDataAfterText_IsStreamBrokenWithAWarningWithoutStackTrace()
    {
        const string model = "fake-bad-sse@stream";
        var warningsBefore = UnusableAnswerWarnings().Count;

        var status = await WhileAnotherAgentStreamsAsync(() => BreaksAfterItsFirstChunkAsync(Hostile("bad-sse", model)));

        Assert.Contains("malformed server-sent event data (invalid JSON)", status!.Message);
        Assert.Equal(1, target.Hostile("bad-sse").CountFor(model));
        var warnings = UnusableAnswerWarnings();
        Assert.Equal(warningsBefore + 1, warnings.Count);
        Assert.All(warnings, l => Assert.DoesNotContain("   at ", l));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Call_UpstreamRedirectsElsewhere_IsRejectedAndThePromptGoesNowhereElse(bool stream)
    {
        await using var elsewhere = await FakeUpstreamServer.StartAsync();
        var request = Hostile("redirect", $"fake-redirect-{elsewhere.Port}");

        var status = await WhileAnotherAgentStreamsAsync(() => RpcAssert.FailsAsync(
            () => stream ? CompletionsTests.ReadAllAsync(NewAgent().StreamComplete(request)) : (Task)NewAgent().CompleteAsync(request).ResponseAsync,
            StatusCode.InvalidArgument,
            "UPSTREAM_REJECTED"));

        Assert.Empty(elsewhere.Requests);
        Assert.Contains("redirect (HTTP 307)", status!.Message);
    }

    /// <summary>A request to the hostile upstream <paramref name="name"/> (see <see cref="Target.HostileNames"/>).</summary>
    private static CompleteRequest Hostile(string name, string model)
    {
        var request = Requests.Fake(model);
        request.KeyRef = $"hostile-{name}";
        return request;
    }

    private List<string> UnusableAnswerWarnings() =>
        target.Daemon.LogLines.Where(l => l.StartsWith("Warning Sidecar.Upstream.OpenAIChatProvider[140]", StringComparison.Ordinal)).ToList();

    /// <summary>
    /// Runs the hostile act while another agent's stream is in flight, then checks the daemon is unaffected:
    /// that stream finishes whole, a new agent is served, only the probe reached the upstream, and the
    /// daemon's own code logged no unexpected failure.
    /// </summary>
    private async Task<T> WhileAnotherAgentStreamsAsync<T>(Func<Task<T>> hostile)
    {
        using var stream = target.Daemon.Client.StreamComplete(Requests.Fake(ProbeModel), deadline: DateTime.UtcNow.Add(Daemon.Timeout));
        Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout));

        var result = await hostile().WaitAsync(Daemon.Timeout);

        var chunks = new List<CompleteChunk> { stream.ResponseStream.Current };
        while (await stream.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout))
        {
            chunks.Add(stream.ResponseStream.Current);
        }

        Assert.Equal(10, chunks.Count(c => c.ContentDelta == "tick "));
        Assert.Equal(FinishReason.Stop, chunks[^1].FinishReason);
        var echo = await NewAgent().CompleteAsync(Requests.Echo("still here")).ResponseAsync.WaitAsync(Daemon.Timeout);
        Assert.Equal("still here", echo.Message.Content);
        Assert.All(target.Upstream.Requests, r => Assert.Equal(ProbeModel, r.Model));
        Assert.DoesNotContain(target.Daemon.LogLines, l => l.Contains("Sidecar.Api.CompletionPipeline[9]", StringComparison.Ordinal));
        return result;
    }

    /// <summary>A client on a new channel: a new agent with its own connection.</summary>
    private Completions.CompletionsClient NewAgent() => new(target.NewChannel());

    /// <summary>Writes bytes on a fresh connection and reads until the daemon closes it.</summary>
    /// <summary>A stream that relays its first chunk, then ends with UNAVAILABLE <c>UPSTREAM_STREAM_BROKEN</c>; returns that status.</summary>
    private async Task<Google.Rpc.Status?> BreaksAfterItsFirstChunkAsync(CompleteRequest request)
    {
        using var call = NewAgent().StreamComplete(request, deadline: DateTime.UtcNow.Add(Daemon.Timeout));
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Daemon.Timeout));
        return await RpcAssert.FailsAsync(
            async () =>
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                }
            },
            StatusCode.Unavailable,
            "UPSTREAM_STREAM_BROKEN");
    }

    private Task<byte[]> SendRawAsync(byte[] bytes) => SendRawAsync(target.Daemon.Socket, bytes);

    /// <summary>Writes <paramref name="bytes"/> to the socket and reads until the daemon closes the connection.</summary>
    internal static async Task<byte[]> SendRawAsync(string path, byte[] bytes)
    {
        using var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path)).WaitAsync(Daemon.Timeout);
        await socket.SendAsync(bytes).WaitAsync(Daemon.Timeout);
        var received = new List<byte>();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer).WaitAsync(Daemon.Timeout)) > 0)
            {
                received.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed with unread input still queued: a reset is a close too.
        }

        return [.. received];
    }

    /// <summary>An HTTP/2 POST as a gRPC client would send it, with a body we choose; returns the gRPC status.</summary>
    private async Task<(HttpStatusCode Http, StatusCode? Status, string? Message)> PostGrpcAsync(string method, byte[] body, string contentType)
    {
        using var http = new HttpClient(UnixSocketHttp.Handler(target.Daemon.Socket));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://localhost/sidecar.v1.Completions/{method}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));

        using var response = await http.SendAsync(request).WaitAsync(Daemon.Timeout);
        await response.Content.ReadAsByteArrayAsync().WaitAsync(Daemon.Timeout);

        // A call that fails before any message is "trailers-only": the status comes in the headers.
        var all = response.Headers.Concat(response.TrailingHeaders).ToList();
        var status = all.FirstOrDefault(h => h.Key == "grpc-status").Value?.Single();
        var message = all.FirstOrDefault(h => h.Key == "grpc-message").Value?.Single();
        return (response.StatusCode, status is null ? null : (StatusCode)int.Parse(status), message);
    }

    internal static void AssertGoAway(H2Frame frame, H2Error expected)
    {
        Assert.Equal(0x7, frame.Type);
        Assert.Equal(0u, frame.Stream);
        Assert.Equal(expected, (H2Error)BinaryPrimitives.ReadUInt32BigEndian(frame.Payload.AsSpan(4)));
    }

    internal static List<H2Frame> Frames(byte[] data)
    {
        var frames = new List<H2Frame>();
        var at = 0;
        while (at + 9 <= data.Length)
        {
            var length = (data[at] << 16) | (data[at + 1] << 8) | data[at + 2];
            Assert.True(at + 9 + length <= data.Length, "the daemon sent a truncated frame");
            frames.Add(new H2Frame(data[at + 3], BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at + 5)) & 0x7FFF_FFFF, data[(at + 9)..(at + 9 + length)]));
            at += 9 + length;
        }

        Assert.Equal(data.Length, at);
        return frames;
    }

    private static byte[] Grpc(byte[] message)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    internal static byte[] Header(int length, byte type, byte flags, uint stream)
    {
        var header = new byte[9];
        header[0] = (byte)(length >> 16);
        header[1] = (byte)(length >> 8);
        header[2] = (byte)length;
        header[3] = type;
        header[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(5), stream);
        return header;
    }

    internal static byte[] Frame(byte type, byte flags, uint stream, byte[] payload) => [.. Header(payload.Length, type, flags, stream), .. payload];

    internal readonly record struct H2Frame(byte Type, uint Stream, byte[] Payload);

    /// <summary>Moves the freshly bound socket aside and puts a link to another file in its place.</summary>
    private sealed class SocketSwapper(string socket, string target) : IHostedLifecycleService
    {
        public Task StartedAsync(CancellationToken cancellationToken)
        {
            File.Move(socket, socket + ".moved");
            File.CreateSymbolicLink(socket, target);
            return Task.CompletedTask;
        }

        public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The daemon every test of the class attacks (default limits: 1 000 messages, 4 MiB per
    /// request, gRPC's receive limit twice that; upstream events up to 12 MiB, so an 8 MiB delta passes), the
    /// fake upstream behind it, and more fake upstreams for the hostile answers (key refs
    /// <c>hostile-NAME</c>, one per test). Key refs <c>crlf-key</c> and <c>nbsp-key</c> hold keys with a CR LF
    /// and a no-break space inside; <c>bom-key</c> an environment variable starting with a byte-order mark.</summary>
    public sealed class Target : IAsyncLifetime
    {
        public static readonly string BomKey = $"sk-bom-{Guid.NewGuid():N}";

        private static readonly string BomVariable = $"SIDECAR_TEST_BOM_KEY_{Guid.NewGuid():N}";

        private readonly List<Grpc.Net.Client.GrpcChannel> _channels = [];
        private DirectoryInfo _keys = null!;

        public FakeUpstreamServer Upstream { get; private set; } = null!;

        /// <summary>
        /// The hostile upstreams, each behind its own key ref <c>hostile-NAME</c> and so its own endpoint
        /// breaker: one test's failed attempts never open the breaker another test's calls go through.
        /// </summary>
        public static readonly string[] HostileNames = ["bom", "line", "body", "delta", "notjson", "error-object", "no-choices", "stream-notjson", "bad-sse", "redirect"];

        private readonly Dictionary<string, FakeUpstreamServer> _hostile = [];

        public FakeUpstreamServer Hostile(string name) => _hostile[name];

        public Daemon Daemon { get; private set; } = null!;

        public Grpc.Net.Client.GrpcChannel NewChannel()
        {
            var channel = Daemon.SocketChannel(Daemon.Socket);
            lock (_channels)
            {
                _channels.Add(channel);
            }

            return channel;
        }

        public async Task InitializeAsync()
        {
            Upstream = await FakeUpstreamServer.StartAsync();
            foreach (var name in HostileNames)
            {
                _hostile[name] = await FakeUpstreamServer.StartAsync();
            }

            _keys = System.IO.Directory.CreateTempSubdirectory("sidecar-hostile-keys-");
            var crlf = Path.Combine(_keys.FullName, "crlf");
            var nbsp = Path.Combine(_keys.FullName, "nbsp");
            await File.WriteAllTextAsync(crlf, "sk-hostile-crlf-0123456789\r\nX-Injected: 1\n");
            await File.WriteAllTextAsync(nbsp, "sk-hostile-nbsp-0123456789\u00A0tail\n");
            var hostileKey = Path.Combine(_keys.FullName, "hostile");
            await File.WriteAllTextAsync(hostileKey, $"sk-hostile-{Guid.NewGuid():N}");
            Environment.SetEnvironmentVariable(BomVariable, "\uFEFF" + BomKey);
            var settings = new Dictionary<string, string>
            {
                ["Sidecar:Upstream:MaxEventBytes"] = (12 * 1024 * 1024).ToString(),
                ["Sidecar:Keys:crlf-key:ApiKey"] = $"file:{crlf}",
                ["Sidecar:Keys:crlf-key:Endpoint"] = Upstream.Endpoint.ToString(),
                ["Sidecar:Keys:nbsp-key:ApiKey"] = $"file:{nbsp}",
                ["Sidecar:Keys:nbsp-key:Endpoint"] = Upstream.Endpoint.ToString(),
                ["Sidecar:Keys:bom-key:ApiKey"] = $"env:{BomVariable}",
                ["Sidecar:Keys:bom-key:Endpoint"] = Hostile("bom").Endpoint.ToString(),
            };
            foreach (var (name, server) in _hostile)
            {
                settings[$"Sidecar:Keys:hostile-{name}:ApiKey"] = $"file:{hostileKey}";
                settings[$"Sidecar:Keys:hostile-{name}:Endpoint"] = server.Endpoint.ToString();
            }

            Daemon = await Daemon.StartAsync(Upstream, settings);
            Daemon.AddSecret("sk-hostile-crlf-0123456789");
            Daemon.AddSecret("sk-hostile-nbsp-0123456789");
            Daemon.AddSecret(BomKey);
            Daemon.AddSecret(await File.ReadAllTextAsync(hostileKey));
        }

        public async Task DisposeAsync()
        {
            _channels.ForEach(c => c.Dispose());
            await Daemon.DisposeAsync();
            foreach (var server in _hostile.Values)
            {
                await server.DisposeAsync();
            }

            await Upstream.DisposeAsync();
            Environment.SetEnvironmentVariable(BomVariable, null);
            _keys.Delete(recursive: true);
        }
    }
}
