using Sidecar.Errors;

namespace Sidecar.Api;

/// <summary>
/// Counts in-flight calls so shutdown can wait for them, refuses new ones once draining, and cancels
/// the rest when the grace period is over.
/// </summary>
internal sealed class CallTracker : IDisposable
{
    private readonly CancellationTokenSource _hardStop = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _drainingStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private volatile bool _draining;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>True once <see cref="CancelAll"/> ran: calls cancelled since then were cut by shutdown.</summary>
    public bool IsHardStopped => _hardStop.IsCancellationRequested;

    /// <summary>Registers a call; its token fires when the caller goes away or shutdown runs out of grace.</summary>
    public CallScope Enter(CancellationToken callToken)
    {
        if (_draining)
        {
            throw ShuttingDown();
        }

        Interlocked.Increment(ref _inFlight);
        if (_draining)
        {
            Exit();
            throw ShuttingDown();
        }

        return new CallScope(this, CancellationTokenSource.CreateLinkedTokenSource(callToken, _hardStop.Token));
    }

    public void BeginDrain()
    {
        _draining = true;
        _drainingStarted.TrySetResult();
        if (InFlight == 0)
        {
            _drained.TrySetResult();
        }
    }

    public Task WhenDrained => _drained.Task;

    /// <summary>Completes once shutdown has begun refusing new calls.</summary>
    public Task WhenDraining => _drainingStarted.Task;

    public void CancelAll() => _hardStop.Cancel();

    private void Exit()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _draining)
        {
            _drained.TrySetResult();
        }
    }

    private static SidecarException ShuttingDown() =>
        SidecarErrors.ShuttingDown("The sidecar is shutting down and takes no new calls; retry against its replacement.");

    public void Dispose() => _hardStop.Dispose();

    /// <summary>One call's registration. Dispose it when the call ends.</summary>
    internal sealed class CallScope(CallTracker tracker, CancellationTokenSource linked) : IDisposable
    {
        private int _disposed;

        public CancellationToken Token => linked.Token;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                linked.Dispose();
                tracker.Exit();
            }
        }
    }
}
