using Grpc.Core;
using Grpc.Core.Interceptors;
using Sidecar.Client.Internal;
using Sidecar.V1;

namespace Sidecar.Client.Tests;

public sealed class DefaultDeadlineInterceptorTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private sealed class FixedTime : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>Records the options of each call and answers with an empty response.</summary>
    private sealed class RecordingInvoker : CallInvoker
    {
        public List<CallOptions> Calls { get; } = [];

        public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
            => throw new NotSupportedException();

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
        {
            Calls.Add(options);
            return new AsyncUnaryCall<TResponse>(
                Task.FromResult(Activator.CreateInstance<TResponse>()), Task.FromResult(new Metadata()),
                () => Grpc.Core.Status.DefaultSuccess, () => [], () => { });
        }

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
        {
            Calls.Add(options);
            return new AsyncServerStreamingCall<TResponse>(
                new EmptyReader<TResponse>(), Task.FromResult(new Metadata()),
                () => Grpc.Core.Status.DefaultSuccess, () => [], () => { });
        }

        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options)
            => throw new NotSupportedException();

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options)
            => throw new NotSupportedException();

        private sealed class EmptyReader<T> : IAsyncStreamReader<T>
        {
            public T Current => throw new InvalidOperationException();

            public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(false);
        }
    }

    [Fact]
    public void UnaryCall_NoDeadline_GetsDefaultDeadlineFromNow()
    {
        var invoker = new RecordingInvoker();
        var client = new Completions.CompletionsClient(
            invoker.Intercept(new DefaultDeadlineInterceptor(TimeSpan.FromSeconds(30), new FixedTime())));

        _ = client.CompleteAsync(new CompleteRequest());

        Assert.Equal(Now.UtcDateTime.AddSeconds(30), Assert.Single(invoker.Calls).Deadline);
    }

    [Fact]
    public void StreamingCall_NoDeadline_GetsDefaultDeadlineFromNow()
    {
        var invoker = new RecordingInvoker();
        var client = new Completions.CompletionsClient(
            invoker.Intercept(new DefaultDeadlineInterceptor(TimeSpan.FromSeconds(30), new FixedTime())));

        using var call = client.StreamComplete(new CompleteRequest());

        Assert.Equal(Now.UtcDateTime.AddSeconds(30), Assert.Single(invoker.Calls).Deadline);
    }

    [Fact]
    public void UnaryCall_ExplicitDeadline_IsKept()
    {
        var invoker = new RecordingInvoker();
        var client = new Completions.CompletionsClient(
            invoker.Intercept(new DefaultDeadlineInterceptor(TimeSpan.FromSeconds(30), new FixedTime())));
        var mine = Now.UtcDateTime.AddSeconds(5);

        _ = client.CompleteAsync(new CompleteRequest(), deadline: mine);

        Assert.Equal(mine, Assert.Single(invoker.Calls).Deadline);
    }

    [Fact]
    public void UnaryCall_OtherOptions_ArePreserved()
    {
        var invoker = new RecordingInvoker();
        var client = new Completions.CompletionsClient(
            invoker.Intercept(new DefaultDeadlineInterceptor(TimeSpan.FromSeconds(30), new FixedTime())));
        using var cts = new CancellationTokenSource();
        var headers = new Metadata { { "x-test", "1" } };

        _ = client.CompleteAsync(new CompleteRequest(), headers, cancellationToken: cts.Token);

        var options = Assert.Single(invoker.Calls);
        Assert.Equal(cts.Token, options.CancellationToken);
        Assert.Equal("1", options.Headers!.GetValue("x-test"));
    }
}
