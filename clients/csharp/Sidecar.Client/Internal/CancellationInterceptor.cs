using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Sidecar.Client.Internal;

/// <summary>
/// Turns <c>RpcException(Cancelled)</c> into <see cref="OperationCanceledException"/> when the
/// caller's token asked for it, so <c>catch (OperationCanceledException)</c> works as elsewhere in
/// .NET. A cancellation the caller did not ask for (the daemon or the connection) stays an
/// <see cref="RpcException"/>: it is a failure to report, not the caller's own doing.
/// </summary>
internal sealed class CancellationInterceptor : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(request, context);
        var token = context.Options.CancellationToken;
        if (!token.CanBeCanceled)
        {
            return call;
        }
        return new AsyncUnaryCall<TResponse>(TranslateAsync(call.ResponseAsync, token), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(request, context);
        return new AsyncServerStreamingCall<TResponse>(
            new Reader<TResponse>(call.ResponseStream, context.Options.CancellationToken),
            call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    private static async Task<T> TranslateAsync<T>(Task<T> response, CancellationToken token)
    {
        try
        {
            return await response.ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && token.IsCancellationRequested)
        {
            throw Canceled(ex, token);
        }
    }

    private static OperationCanceledException Canceled(RpcException ex, CancellationToken token) =>
        new("The call was cancelled by the caller.", ex, token);

    /// <summary>A response stream whose reads translate the caller's cancellation (the call's token or the read's).</summary>
    private sealed class Reader<T>(IAsyncStreamReader<T> inner, CancellationToken callToken) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            try
            {
                return await inner.MoveNext(cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && callToken.IsCancellationRequested)
            {
                throw Canceled(ex, callToken);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw Canceled(ex, cancellationToken);
            }
        }
    }
}
