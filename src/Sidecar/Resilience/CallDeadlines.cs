using Sidecar.Configuration;

namespace Sidecar.Resilience;

/// <summary>
/// Gives every call a deadline: the caller's own when it set one (gRPC enforces it), else
/// <see cref="ResilienceOptions.DefaultDeadline"/> from now, enforced by a timer on our <see cref="TimeProvider"/>.
/// </summary>
internal sealed class CallDeadlines(LiveOptions options, TimeProvider time)
{
    /// <param name="callerDeadline">The gRPC call's deadline (UTC), <see cref="DateTime.MaxValue"/> when the caller set none.</param>
    /// <param name="token">The call's token; the result's token fires with it, and at the default deadline.</param>
    public CallDeadline Start(DateTime callerDeadline, CancellationToken token)
    {
        if (callerDeadline != DateTime.MaxValue)
        {
            return new CallDeadline(callerDeadline, token, null, time);
        }

        var after = options.Current.Resilience.DefaultDeadline;
        var deadline = time.GetUtcNow().UtcDateTime + after;
        var timer = new CancellationTokenSource(after, time);
        var linked = CancellationTokenSource.CreateLinkedTokenSource(token, timer.Token);
        return new CallDeadline(deadline, linked.Token, new Sources(timer, linked), time);
    }

    internal sealed record Sources(CancellationTokenSource Timer, CancellationTokenSource Linked);
}
