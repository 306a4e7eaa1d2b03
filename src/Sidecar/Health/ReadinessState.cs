namespace Sidecar.Health;

/// <summary>Whether the daemon has finished starting and has not begun to stop.</summary>
internal sealed class ReadinessState
{
    private volatile bool _started;
    private volatile bool _stopping;

    public bool IsStarted => _started;

    public bool IsStopping => _stopping;

    public void MarkStarted() => _started = true;

    public void MarkStopping() => _stopping = true;
}
