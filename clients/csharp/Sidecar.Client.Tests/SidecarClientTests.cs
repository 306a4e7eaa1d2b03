using Grpc.Core;
using Sidecar.Client.Tests.Infrastructure;
using Sidecar.V1;

namespace Sidecar.Client.Tests;

/// <summary>SidecarClient (defaults, cancellation) against the in-process fake sidecar.</summary>
public sealed class SidecarClientTests : IAsyncLifetime
{
    private FakeSidecar _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeSidecar.StartAsync().WithTimeout();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    private static CompleteRequest UserSays(string text) => new() { Messages = { new Message { Role = Role.User, Content = text } } };

    private readonly TaskCompletionSource _serverHasTheCall = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Answers Complete only when the client cancels (so a cancel is the only way out).</summary>
    private void HangUntilCancelled(TaskCompletionSource serverSawCancel)
    {
        Func<FakeCall<CompleteRequest>, Task> hang = async call =>
        {
            using var registration = call.Aborted.Register(() => serverSawCancel.TrySetResult());
            _serverHasTheCall.TrySetResult();
            await serverSawCancel.Task;
        };
        _fake.Complete = hang;
        _fake.StreamComplete = async call =>
        {
            await call.WriteAsync(new CompleteChunk { ContentDelta = "first" });
            await hang(call);
        };
    }

    [Fact]
    public async Task CompleteAsync_RequestNamesNoKeyRefOrModel_SendsTheClientDefaults()
    {
        CompleteRequest? seen = null;
        _fake.Complete = async call =>
        {
            seen = call.Request;
            await call.WriteAsync(new CompleteResponse { Id = "c1" });
        };
        using var client = SidecarClient.Create(new SidecarClientOptions { SocketPath = _fake.SocketPath, KeyRef = "team-a", Model = "gpt-x" });
        var request = UserSays("hi");

        var response = await client.CompleteAsync(request).WithTimeout();

        Assert.Equal("c1", response.Id);
        Assert.Equal("team-a", seen!.KeyRef);
        Assert.Equal("gpt-x", seen.Model);
        Assert.Equal("", request.KeyRef); // the caller's request is not modified
        Assert.Equal("", request.Model);
    }

    [Fact]
    public async Task StreamCompleteAsync_RequestNamesItsOwnKeyRefAndModel_KeepsThem()
    {
        CompleteRequest? seen = null;
        _fake.StreamComplete = async call =>
        {
            seen = call.Request;
            await call.WriteAsync(new CompleteChunk { ContentDelta = "ok", FinishReason = FinishReason.Stop });
        };
        using var client = SidecarClient.Create(new SidecarClientOptions { SocketPath = _fake.SocketPath, KeyRef = "team-a", Model = "gpt-x" });
        var request = UserSays("hi");
        request.KeyRef = "team-b";
        request.Model = "gpt-y";

        var response = await StreamAccumulator.AccumulateAsync(client.StreamCompleteAsync(request)).WithTimeout();

        Assert.Equal("ok", response.Message.Content);
        Assert.Equal("team-b", seen!.KeyRef);
        Assert.Equal("gpt-y", seen.Model);
    }

    [Fact]
    public async Task CompleteAsync_CallerCancels_ThrowsOperationCanceledAndTheServerSeesTheCancel()
    {
        var serverSawCancel = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        HangUntilCancelled(serverSawCancel);
        using var client = SidecarClient.Create(new SidecarClientOptions { SocketPath = _fake.SocketPath, KeyRef = "k", Model = "m" });
        using var cts = new CancellationTokenSource();

        var call = client.CompleteAsync(UserSays("hi"), cancellationToken: cts.Token);
        await _serverHasTheCall.Task.WithTimeout();
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call).WithTimeout();
        Assert.Equal(cts.Token, ex.CancellationToken);
        Assert.Equal(StatusCode.Cancelled, Assert.IsType<RpcException>(ex.InnerException).StatusCode);
        await serverSawCancel.Task.WithTimeout();
    }

    [Fact]
    public async Task StreamCompleteAsync_CallerCancelsMidStream_ThrowsOperationCanceled()
    {
        HangUntilCancelled(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        using var client = SidecarClient.Create(new SidecarClientOptions { SocketPath = _fake.SocketPath, KeyRef = "k", Model = "m" });
        using var cts = new CancellationTokenSource();
        var chunks = new List<string>();

        async Task ReadAsync()
        {
            await foreach (var chunk in client.StreamCompleteAsync(UserSays("hi"), cancellationToken: cts.Token))
            {
                chunks.Add(chunk.ContentDelta);
                await cts.CancelAsync();
            }
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(ReadAsync).WithTimeout();
        Assert.Equal(["first"], chunks);
    }

    [Fact]
    public async Task RawClient_CallerCancelsStreamRead_ThrowsOperationCanceled()
    {
        HangUntilCancelled(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        using var channel = SidecarChannel.Create(_fake.SocketPath);
        using var cts = new CancellationTokenSource();
        var request = UserSays("hi");
        using var call = channel.Completions.StreamComplete(request);

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WithTimeout());
        var next = call.ResponseStream.MoveNext(cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next).WithTimeout();
    }

    [Fact]
    public async Task CompleteAsync_CancellationOptionOff_ThrowsRpcExceptionCancelled()
    {
        HangUntilCancelled(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        using var client = SidecarClient.Create(new SidecarClientOptions
        {
            SocketPath = _fake.SocketPath, KeyRef = "k", Model = "m", ThrowOperationCanceledOnCancellation = false,
        });
        using var cts = new CancellationTokenSource();

        var call = client.CompleteAsync(UserSays("hi"), cancellationToken: cts.Token);
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => call).WithTimeout();
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
    }

    [Fact]
    public async Task CompleteAsync_ServerSendsCancelledWhileTheCallerDidNot_StaysRpcException()
    {
        _fake.Complete = call =>
        {
            call.SetStatus(StatusCode.Cancelled, "the daemon is going away");
            return Task.CompletedTask;
        };
        using var client = SidecarClient.Create(new SidecarClientOptions { SocketPath = _fake.SocketPath, KeyRef = "k", Model = "m" });
        using var cts = new CancellationTokenSource();

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.CompleteAsync(UserSays("hi"), cancellationToken: cts.Token)).WithTimeout();

        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
    }

    [Fact]
    public async Task CompleteAsync_DeadlinePasses_StaysRpcExceptionDeadlineExceeded()
    {
        HangUntilCancelled(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        using var client = SidecarClient.Create(new SidecarClientOptions { SocketPath = _fake.SocketPath, KeyRef = "k", Model = "m" });
        using var cts = new CancellationTokenSource();

        var ex = await Assert.ThrowsAsync<RpcException>(
            () => client.CompleteAsync(UserSays("hi"), DateTime.UtcNow.AddMilliseconds(200), cts.Token)).WithTimeout();

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
    }

    [Fact]
    public void Create_InvalidOptions_ListsEveryProblem()
    {
        var ex = Assert.Throws<ArgumentException>(() => SidecarClient.Create(new SidecarClientOptions
        {
            KeyRef = " ", Model = "", DefaultDeadline = TimeSpan.FromSeconds(-1), MaxReceiveMessageSize = 0,
        }));

        Assert.Contains("KeyRef", ex.Message);
        Assert.Contains("Model", ex.Message);
        Assert.Contains("DefaultDeadline", ex.Message);
        Assert.Contains("MaxReceiveMessageSize", ex.Message);
    }
}
