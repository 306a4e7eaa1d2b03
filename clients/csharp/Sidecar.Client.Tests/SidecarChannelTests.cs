using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Sidecar.Client.Tests.Infrastructure;
using Sidecar.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Sidecar.Client.Tests;

/// <summary>The channel against an in-process fake sidecar on a real Unix socket.</summary>
public sealed class SidecarChannelTests : IAsyncLifetime
{
    private static readonly CompleteRequest Request = new()
    {
        KeyRef = "echo",
        Model = "m",
        Messages = { new Message { Role = Role.User, Content = "hi" } },
    };

    private FakeSidecar _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeSidecar.StartAsync().WithTimeout();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task WaitForReadyAsync_NotServingAtFirst_CompletesOnceServing()
    {
        var checks = 0;
        var services = new List<string>();
        _fake.Check = async call =>
        {
            services.Add(call.Request.Service);
            var status = Interlocked.Increment(ref checks) < 3 ? ServingStatus.NotServing : ServingStatus.Serving;
            await call.WriteAsync(new HealthCheckResponse { Status = status });
        };
        using var channel = SidecarChannel.Create(_fake.SocketPath);

        await channel.WaitForReadyAsync(TimeSpan.FromSeconds(5)).WithTimeout();

        Assert.Equal(3, checks);
        Assert.All(services, s => Assert.Equal("sidecar.v1.Completions", s));
    }

    [Fact]
    public async Task WaitForReadyAsync_NeverServing_ThrowsTimeoutNamingTheStatus()
    {
        using var channel = SidecarChannel.Create(_fake.SocketPath);
        // Connected and warm first. Both waits are only bounds: on a loaded machine the first answer of
        // an in-process server can take seconds, and the timeout's message must quote an answer it got.
        await channel.WaitForReadyAsync(TestTimeouts.Default).WaitAsync(TestTimeouts.Default * 2);
        _fake.Check = call => call.WriteAsync(new HealthCheckResponse { Status = ServingStatus.NotServing });

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => channel.WaitForReadyAsync(TimeSpan.FromSeconds(2))).WithTimeout();

        Assert.True(ex.Message.Contains("NotServing"), ex.Message);
        Assert.Contains(_fake.SocketPath, ex.Message);
    }

    [Fact]
    public async Task WaitForReadyAsync_NoSocket_ThrowsTimeoutNamingThePath()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"sidecar-missing-{Guid.NewGuid():N}.sock");
        using var channel = SidecarChannel.Create(missing);

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => channel.WaitForReadyAsync(TimeSpan.FromMilliseconds(300))).WithTimeout();

        Assert.Contains(missing, ex.Message);
    }

    [Fact]
    public async Task WaitForReadyAsync_Cancelled_ThrowsOperationCanceled()
    {
        _fake.Check = call => call.WriteAsync(new HealthCheckResponse { Status = ServingStatus.NotServing });
        using var channel = SidecarChannel.Create(_fake.SocketPath);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => channel.WaitForReadyAsync(TimeSpan.FromSeconds(30), cts.Token)).WithTimeout();
    }

    [Fact]
    public async Task CompleteAsync_Ok_SendsRequestAndReturnsResponse()
    {
        CompleteRequest? received = null;
        _fake.Complete = call =>
        {
            received = call.Request;
            return call.WriteAsync(new CompleteResponse
            {
                Id = "c1",
                Message = new Message { Role = Role.Assistant, Content = "hello" },
                FinishReason = FinishReason.Stop,
                Usage = new Usage { PromptTokens = 1, CompletionTokens = 1, TotalTokens = 2 },
            });
        };
        using var channel = SidecarChannel.Create(_fake.SocketPath);

        var response = await channel.Completions.CompleteAsync(Request).ResponseAsync.WithTimeout();

        Assert.Equal("hello", response.Message.Content);
        Assert.Equal(FinishReason.Stop, response.FinishReason);
        Assert.Equal(2, response.Usage.TotalTokens);
        Assert.Equal(Request, received);
    }

    [Fact]
    public async Task CompleteAsync_NoDeadlineGiven_ServerSeesTheDefaultDeadline()
    {
        string? timeout = "unset";
        _fake.Complete = call =>
        {
            timeout = call.GrpcTimeout;
            return call.WriteAsync(new CompleteResponse());
        };
        using var channel = SidecarChannel.Create(_fake.SocketPath);

        await channel.Completions.CompleteAsync(Request).ResponseAsync.WithTimeout();

        Assert.NotNull(timeout);
        Assert.NotEqual("unset", timeout);
    }

    [Fact]
    public async Task CompleteAsync_DefaultDeadlineOff_ServerSeesNoDeadline()
    {
        string? timeout = "unset";
        _fake.Complete = call =>
        {
            timeout = call.GrpcTimeout;
            return call.WriteAsync(new CompleteResponse());
        };
        using var channel = SidecarChannel.Create(_fake.SocketPath, new SidecarChannelOptions { DefaultDeadline = null });

        await channel.Completions.CompleteAsync(Request).ResponseAsync.WithTimeout();

        Assert.Null(timeout);
    }

    [Fact]
    public async Task CompleteAsync_ServerHangsPastDeadline_FailsWithDeadlineExceeded()
    {
        _fake.Complete = call => Task.Delay(Timeout.Infinite, call.Aborted).ContinueWith(_ => { }, TaskScheduler.Default);
        using var channel = SidecarChannel.Create(_fake.SocketPath);

        var ex = await Assert.ThrowsAsync<RpcException>(
            () => channel.Completions.CompleteAsync(Request, deadline: DateTime.UtcNow.AddMilliseconds(100)).ResponseAsync).WithTimeout();

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
    }

    [Fact]
    public async Task CompleteAsync_ErrorWithStatusDetails_HelpersReadThem()
    {
        _fake.Complete = call =>
        {
            var details = new Google.Rpc.Status { Code = (int)Code.InvalidArgument, Message = "messages: at least one" };
            details.Details.Add(Any.Pack(new ErrorInfo { Reason = "INVALID_REQUEST", Domain = "sidecar" }));
            details.Details.Add(Any.Pack(new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = "messages" } } }));
            call.SetStatus(StatusCode.InvalidArgument, "messages: at least one", details);
            return Task.CompletedTask;
        };
        using var channel = SidecarChannel.Create(_fake.SocketPath);

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.Completions.CompleteAsync(Request).ResponseAsync).WithTimeout();

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("messages: at least one", ex.Status.Detail);
        Assert.Equal(SidecarErrorReasons.InvalidRequest, ex.GetErrorReason());
        Assert.Equal("messages", Assert.Single(ex.GetFieldViolations()).Field);
    }

    [Fact]
    public async Task StreamComplete_Chunks_AreReadInOrder()
    {
        _fake.StreamComplete = async call =>
        {
            await call.WriteAsync(new CompleteChunk { ContentDelta = "a " });
            await call.WriteAsync(new CompleteChunk { ContentDelta = "b" });
            await call.WriteAsync(new CompleteChunk { FinishReason = FinishReason.Stop, Usage = new Usage { TotalTokens = 2 } });
        };
        using var channel = SidecarChannel.Create(_fake.SocketPath);
        using var call = channel.Completions.StreamComplete(Request);

        var chunks = await call.ResponseStream.ReadAllAsync().ToListAsync().WithTimeout();

        Assert.Equal("a b", string.Concat(chunks.Select(c => c.ContentDelta)));
        Assert.Equal(FinishReason.Stop, chunks[^1].FinishReason);
        Assert.Equal(2, chunks[^1].Usage.TotalTokens);
        Assert.Null(chunks[0].Usage);
    }

    [Fact]
    public async Task StreamComplete_ErrorAfterFirstChunk_ThrowsWithReasonAndRetryDelay()
    {
        _fake.StreamComplete = async call =>
        {
            await call.WriteAsync(new CompleteChunk { ContentDelta = "partial" });
            var details = new Google.Rpc.Status { Code = (int)Code.Unavailable, Message = "upstream closed early" };
            details.Details.Add(Any.Pack(new ErrorInfo { Reason = "UPSTREAM_STREAM_BROKEN", Domain = "sidecar" }));
            details.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) }));
            call.SetStatus(StatusCode.Unavailable, "upstream closed early", details);
        };
        using var channel = SidecarChannel.Create(_fake.SocketPath);
        using var call = channel.Completions.StreamComplete(Request);
        var chunks = new List<CompleteChunk>();

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var chunk in call.ResponseStream.ReadAllAsync())
            {
                chunks.Add(chunk);
            }
        }).WithTimeout();

        Assert.Single(chunks);
        Assert.Equal(SidecarErrorReasons.UpstreamStreamBroken, ex.GetErrorReason());
        Assert.Equal(TimeSpan.FromSeconds(1), ex.GetRetryDelay());
    }

    [Fact]
    public async Task StreamComplete_DisposedEarly_ServerSeesTheCancel()
    {
        var serverSawCancel = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _fake.StreamComplete = async call =>
        {
            using var registration = call.Aborted.Register(() => serverSawCancel.TrySetResult());
            await call.WriteAsync(new CompleteChunk { ContentDelta = "first" });
            await serverSawCancel.Task; // never ends by itself: only the client's cancel finishes it
        };
        using var channel = SidecarChannel.Create(_fake.SocketPath);

        using (var call = channel.Completions.StreamComplete(Request))
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WithTimeout());
            Assert.Equal("first", call.ResponseStream.Current.ContentDelta);
        }

        await serverSawCancel.Task.WithTimeout();
    }
}
