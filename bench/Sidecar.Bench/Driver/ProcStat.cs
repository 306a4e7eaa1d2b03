namespace Sidecar.Bench.Driver;

/// <summary>What Linux says about a process (<c>/proc/&lt;pid&gt;/stat</c>, <c>status</c>) and the machine (<c>/proc/stat</c>).</summary>
internal static class ProcStat
{
    // USER_HZ: the unit of utime/stime in /proc; 100 on every Linux we run on.
    private const double TicksPerSecond = 100.0;

    /// <summary>User + system CPU seconds the process has used.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name may hold spaces and parentheses; the fields we need come after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Field 14 (utime) and 15 (stime) counting from 1; fields[0] here is field 3 (state).
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime + stime) / TicksPerSecond;
    }

    /// <summary>Resident set size in MiB (VmRSS).</summary>
    public static double RssMiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                return kb / 1024.0;
            }
        }

        return double.NaN;
    }

    /// <summary>Busy and total CPU seconds of the whole machine, all cores together.</summary>
    public static (double Busy, double Total) Machine()
    {
        var line = File.ReadLines("/proc/stat").First();
        var v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already inside user).
        var idle = v[3] + v[4];
        var total = v.Take(8).Sum();
        return ((total - idle) / TicksPerSecond, total / TicksPerSecond);
    }

    /// <summary>CPU seconds of this process, its children that ended, and its live children: all of the bench's own work.</summary>
    public static double OwnTreeSeconds()
    {
        var self = Environment.ProcessId;
        var total = 0.0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText($"{dir}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (pid == self)
                {
                    // utime, stime, and cutime, cstime (children that were waited for).
                    total += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)
                        + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / TicksPerSecond;
                }
                else if (ppid == self)
                {
                    total += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process ended while we looked.
            }
        }

        return total;
    }

    public static double OwnCpuSeconds() => System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
}
