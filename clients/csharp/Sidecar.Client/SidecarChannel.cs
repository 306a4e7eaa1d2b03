using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Sidecar.Client.Internal;
using Sidecar.V1;

namespace Sidecar.Client;

/// <summary>
/// A gRPC channel to the Sidecar daemon over its Unix domain socket. Thread-safe; create one per
/// process and reuse it. Dispose it to close the connection.
/// </summary>
/// <example>
/// <code>
/// using var sidecar = SidecarChannel.Create();
/// await sidecar.WaitForReadyAsync(TimeSpan.FromSeconds(10));
/// var response = await sidecar.Completions.CompleteAsync(request);
/// </code>
/// </example>
public sealed class SidecarChannel : IDisposable
{
    /// <summary>The environment variable that names the socket: <c>SIDECAR_SOCKET</c>.</summary>
    public const string SocketEnvironmentVariable = "SIDECAR_SOCKET";

    /// <summary>The socket path used when neither an argument nor <c>SIDECAR_SOCKET</c> names one.</summary>
    public const string DefaultSocketPath = "/var/run/sidecar/sidecar.sock";

    /// <summary>The service name whose health <see cref="WaitForReadyAsync"/> checks.</summary>
    public const string HealthServiceName = "sidecar.v1.Completions";

    private readonly GrpcChannel _channel;
    private readonly Health.HealthClient _health;
    private readonly TimeProvider _timeProvider;

    private SidecarChannel(string socketPath, GrpcChannel channel, CallInvoker callInvoker, TimeProvider timeProvider)
    {
        SocketPath = socketPath;
        _channel = channel;
        _timeProvider = timeProvider;
        CallInvoker = callInvoker;
        Completions = new Completions.CompletionsClient(callInvoker);
        _health = new Health.HealthClient(callInvoker);
    }

    /// <summary>The path of the socket this channel connects to.</summary>
    public string SocketPath { get; }

    /// <summary>The client of <c>sidecar.v1.Completions</c>, with the default deadline applied.</summary>
    public Completions.CompletionsClient Completions { get; }

    /// <summary>The call invoker (default deadline applied), for other clients on the same channel.</summary>
    public CallInvoker CallInvoker { get; }

    /// <summary>
    /// Creates a channel to the sidecar. It connects lazily, at the first call; use
    /// <see cref="WaitForReadyAsync"/> to wait until the daemon serves.
    /// </summary>
    /// <param name="socketPath">The socket path. Default: <c>SIDECAR_SOCKET</c>, else <see cref="DefaultSocketPath"/>.</param>
    /// <param name="options">Channel options; <see langword="null"/> for the defaults.</param>
    public static SidecarChannel Create(string? socketPath = null, SidecarChannelOptions? options = null) =>
        Create(socketPath, options, TimeProvider.System);

    internal static SidecarChannel Create(string? socketPath, SidecarChannelOptions? options, TimeProvider timeProvider)
    {
        options ??= new SidecarChannelOptions();
        var path = ResolveSocketPath(socketPath);
        var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = UnixSocketHandler.Create(path),
            MaxReceiveMessageSize = options.MaxReceiveMessageSize ?? 4 * 1024 * 1024,
        });
        CallInvoker invoker = channel.CreateCallInvoker();
        var deadline = options.DefaultDeadline;
        if (deadline is { } d && d > TimeSpan.Zero && d != Timeout.InfiniteTimeSpan)
        {
            invoker = invoker.Intercept(new DefaultDeadlineInterceptor(d, timeProvider));
        }
        if (options.ThrowOperationCanceledOnCancellation)
        {
            invoker = invoker.Intercept(new CancellationInterceptor());
        }
        return new SidecarChannel(path, channel, invoker, timeProvider);
    }

    /// <summary>
    /// The socket path: <paramref name="socketPath"/> when given, else the <c>SIDECAR_SOCKET</c>
    /// environment variable, else <see cref="DefaultSocketPath"/>.
    /// </summary>
    public static string ResolveSocketPath(string? socketPath = null) =>
        ResolveSocketPath(socketPath, Environment.GetEnvironmentVariable);

    internal static string ResolveSocketPath(string? socketPath, Func<string, string?> getEnvironmentVariable)
    {
        if (!string.IsNullOrEmpty(socketPath))
        {
            return socketPath;
        }
        var fromEnvironment = getEnvironmentVariable(SocketEnvironmentVariable);
        return string.IsNullOrEmpty(fromEnvironment) ? DefaultSocketPath : fromEnvironment;
    }

    /// <summary>
    /// Waits until the daemon reports <c>SERVING</c> for <c>sidecar.v1.Completions</c> on
    /// <c>grpc.health.v1</c>, checking again (with a short backoff) while the socket is missing or the
    /// daemon is not serving yet.
    /// </summary>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">The daemon was not ready within <paramref name="timeout"/>; the message names the socket and the last status seen.</exception>
    /// <exception cref="RpcException">The socket answers but does not serve <c>grpc.health.v1</c> (UNIMPLEMENTED).</exception>
    public async Task WaitForReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var start = _timeProvider.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(25);
        var last = "no answer";
        while (true)
        {
            var remaining = timeout - _timeProvider.GetElapsedTime(start);
            if (remaining <= TimeSpan.Zero)
            {
                break;
            }
            try
            {
                var deadline = _timeProvider.GetUtcNow().UtcDateTime + remaining;
                var response = await _health.CheckAsync(
                    new HealthCheckRequest { Service = HealthServiceName },
                    new CallOptions(deadline: deadline, cancellationToken: cancellationToken).WithWaitForReady()).ConfigureAwait(false);
                if (response.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
                last = $"health status {response.Status}";
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented)
            {
                throw;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            catch (RpcException ex) when (ex.StatusCode != StatusCode.DeadlineExceeded)
            {
                last = $"{ex.StatusCode}: {ex.Status.Detail}";
            }
            catch (RpcException)
            {
                // The deadline of this check was the end of the wait.
            }

            var pause = TimeSpan.FromTicks(Math.Min(delay.Ticks, (timeout - _timeProvider.GetElapsedTime(start)).Ticks));
            if (pause <= TimeSpan.Zero)
            {
                break;
            }
            // Back off between checks: the daemon may still be starting.
            await Task.Delay(pause, _timeProvider, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(500).Ticks));
        }
        throw new TimeoutException($"The sidecar at {SocketPath} was not ready within {timeout.TotalMilliseconds:0} ms ({last}).");
    }

    /// <summary>Closes the connection; calls in flight fail.</summary>
    public void Dispose() => _channel.Dispose();
}
