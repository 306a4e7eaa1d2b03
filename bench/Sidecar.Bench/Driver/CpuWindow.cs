namespace Sidecar.Bench.Driver;

/// <summary>CPU used by the daemon, the upstream, this driver and everything else over one measured stretch.</summary>
internal sealed class CpuWindow
{
    private readonly int _daemon;
    private readonly int _upstream;
    private readonly double _daemon0;
    private readonly double _upstream0;
    private readonly double _driver0;
    private readonly (double Busy, double Total) _machine0;
    private readonly long _start = Ticks.Now;

    public CpuWindow(int daemonPid, int upstreamPid)
    {
        _daemon = daemonPid;
        _upstream = upstreamPid;
        _daemon0 = ProcStat.CpuSeconds(daemonPid);
        _upstream0 = ProcStat.CpuSeconds(upstreamPid);
        _driver0 = ProcStat.OwnCpuSeconds();
        _machine0 = ProcStat.Machine();
    }

    public CpuUse Stop()
    {
        var wall = Ticks.MicrosSince(_start) / 1e6;
        var daemon = ProcStat.CpuSeconds(_daemon) - _daemon0;
        var upstream = ProcStat.CpuSeconds(_upstream) - _upstream0;
        var driver = ProcStat.OwnCpuSeconds() - _driver0;
        var machine = ProcStat.Machine();
        var busy = machine.Busy - _machine0.Busy;
        var total = machine.Total - _machine0.Total;
        var others = Math.Max(0, busy - daemon - upstream - driver);
        return new CpuUse(wall, daemon, upstream, driver, others, total > 0 ? busy / total : 0);
    }
}

/// <summary>CPU seconds by process over a wall-clock stretch; <see cref="Others"/> is the rest of the machine (other people's work).</summary>
internal sealed record CpuUse(double WallSeconds, double Daemon, double Upstream, double Driver, double Others, double MachineBusyFraction);
