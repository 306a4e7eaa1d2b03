namespace Sidecar.Configuration;

/// <summary>The configuration is invalid; every problem is listed. At start the daemon exits with code 2.</summary>
internal sealed class InvalidConfigurationException(IReadOnlyList<string> problems)
    : Exception("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(f => "  - " + f)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
