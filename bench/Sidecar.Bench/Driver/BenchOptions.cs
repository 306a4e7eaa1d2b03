namespace Sidecar.Bench.Driver;

/// <summary>
/// What to run and how to start the daemon, for experiments: <c>--only</c> picks phases (start-up,
/// unary, ramp, stream, throughput, cancel, cpu, keys, churn; a phase runs when its name contains one
/// of them), <c>--daemon-env NAME=VALUE</c> and <c>--daemon-arg ARG</c> go to every daemon started.
/// </summary>
internal sealed record BenchOptions(IReadOnlySet<string>? Only, IReadOnlyDictionary<string, string> DaemonEnvironment, IReadOnlyList<string> DaemonArgs)
{
    public static readonly BenchOptions All = new(null, new Dictionary<string, string>(), []);

    private static readonly Dictionary<string, string> PhaseKeys = new(StringComparer.Ordinal)
    {
        ["start-up"] = "startup",
        ["unary 100/s"] = "unary",
        ["unary 1000/s"] = "unary",
        ["socket round trip"] = "rtt",
        ["unary ramp"] = "ramp",
        ["streaming"] = "stream",
        ["max throughput"] = "throughput",
        ["cancel"] = "cancel",
        ["cpu per call"] = "cpu",
        ["1 000 cached key refs"] = "keys",
        ["key churn"] = "churn",
    };

    public bool IsExperiment => Only is not null || DaemonEnvironment.Count > 0 || DaemonArgs.Count > 0;

    /// <summary>Whether a phase runs; a phase's name may go on after its key's (", AOT").</summary>
    public bool Runs(string phase) => Only is null || PhaseKeys.Any(k => phase.StartsWith(k.Key, StringComparison.Ordinal) && Only.Contains(k.Value));

    public bool AnyOf(params string[] keys) => Only is null || keys.Any(Only.Contains);

    public string Describe() =>
        string.Join(" ", new[]
        {
            Only is null ? null : "--only " + string.Join(',', Only),
            string.Join(" ", DaemonEnvironment.Select(e => $"--daemon-env {e.Key}={e.Value}")),
            string.Join(" ", DaemonArgs.Select(a => $"--daemon-arg {a}")),
        }.Where(s => !string.IsNullOrEmpty(s)));

    public static BenchOptions Parse(string[] args)
    {
        HashSet<string>? only = null;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var daemonArgs = new List<string>();
        for (var i = 0; i < args.Length - 1; i++)
        {
            switch (args[i])
            {
                case "--only":
                    only = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    break;
                case "--daemon-env" when args[i + 1].Split('=', 2) is [var name, var value]:
                    env[name] = value;
                    i++;
                    break;
                case "--daemon-arg":
                    daemonArgs.Add(args[++i]);
                    break;
            }
        }

        return new BenchOptions(only, env, daemonArgs);
    }
}
