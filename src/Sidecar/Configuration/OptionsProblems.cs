namespace Sidecar.Configuration;

/// <summary>
/// The problems found in a configuration, gathered so that all are reported at once, each naming its
/// setting by its full path (<c>Sidecar:Resilience:Retry:MaxDelay</c>). The checks here are the ones
/// several areas share, with one wording.
/// </summary>
internal sealed class OptionsProblems
{
    private readonly List<string> _problems = [];

    public IReadOnlyList<string> All => _problems;

    public void Add(string problem) => _problems.Add(problem);

    public void Positive(string path, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            Add($"{path} must be a positive duration such as 00:00:10 (got {value}).");
        }
    }

    /// <summary>Each of a section's durations, named under <paramref name="section"/>, must be positive.</summary>
    public void Positive(string section, params ReadOnlySpan<(string Name, TimeSpan Value)> settings)
    {
        foreach (var (name, value) in settings)
        {
            Positive($"{section}:{name}", value);
        }
    }

    public void NotNegative(string path, TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            Add($"{path} must not be negative (got {value}).");
        }
    }

    public void AtLeast(string path, TimeSpan value, TimeSpan least)
    {
        if (value < least)
        {
            Add($"{path} must be at least {least.TotalSeconds:0.0} s (got {value}).");
        }
    }

    /// <summary>A limit where 0 means none.</summary>
    public void LimitOrZero(string path, int? value)
    {
        if (value < 0)
        {
            Add($"{path} must be 0 (no limit) or more (got {value}).");
        }
    }

    public void Port(string path, int port)
    {
        if (port is < 0 or > 65535)
        {
            Add($"{path} must be between 0 (off) and 65535 (got {port}).");
        }
    }

    public void Bytes(string path, long value)
    {
        if (value is < 1024 or > 1024L * 1024 * 1024)
        {
            Add($"{path} must be between 1024 (1 KiB) and 1073741824 (1 GiB) (got {value}).");
        }
    }

    public void HttpUri(string path, string? value)
    {
        if (!(Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            // An address, not a secret, so it may appear in the message.
            Add($"{path} must be an absolute http(s) URI (got '{value}').");
        }
    }
}
