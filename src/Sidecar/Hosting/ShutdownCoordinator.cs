using Microsoft.Extensions.Options;
using Sidecar.Api;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.Health;

namespace Sidecar.Hosting;

/// <summary>
/// Graceful stop. Runs in the host's "stopping" phase, before Kestrel closes its listeners: readiness
/// turns NOT_SERVING at once, new calls are refused, in-flight calls get
/// <see cref="SidecarOptions.ShutdownGrace"/> to finish, and the rest are cancelled with a clear status.
/// </summary>
internal sealed class ShutdownCoordinator(
    CallTracker calls,
    ReadinessState readiness,
    IOptions<SidecarOptions> options,
    TimeProvider time,
    ILogger<ShutdownCoordinator> logger) : IHostedLifecycleService
{
    // After cancelling, calls need a moment to write their final status before Kestrel closes.
    private static readonly TimeSpan CancelFlush = TimeSpan.FromSeconds(2);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        readiness.MarkStopping();
        calls.BeginDrain();
        var grace = options.Value.ShutdownGrace;
        Log.ShutdownStarted(logger, grace.TotalSeconds, calls.InFlight);
        try
        {
            await calls.WhenDrained.WaitAsync(grace, time, cancellationToken).ConfigureAwait(false);
            Log.ShutdownDrained(logger);
            return;
        }
        catch (TimeoutException)
        {
            Log.ShutdownCancelling(logger, calls.InFlight);
        }
        catch (OperationCanceledException)
        {
            Log.ShutdownCancelling(logger, calls.InFlight);
        }

        calls.CancelAll();
        try
        {
            await calls.WhenDrained.WaitAsync(CancelFlush, time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Kestrel's own stop aborts whatever is left.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        readiness.MarkStarted();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
