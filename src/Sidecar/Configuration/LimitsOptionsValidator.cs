namespace Sidecar.Configuration;

/// <summary>The request limits every call is checked against before it goes anywhere.</summary>
internal sealed class LimitsOptionsValidator : IOptionsValidator
{
    public void Validate(SidecarOptions options, string p, OptionsProblems problems)
    {
        var limits = options.Limits;
        if (limits.MaxMessages < 1)
        {
            problems.Add($"{p}:Limits:MaxMessages must be at least 1 (got {limits.MaxMessages}).");
        }

        if (limits.MaxRequestBytes < 1024 || limits.MaxRequestBytes > 512 * 1024 * 1024)
        {
            problems.Add($"{p}:Limits:MaxRequestBytes must be between 1 KiB and 512 MiB (got {limits.MaxRequestBytes}).");
        }

        if (limits.MaxTools < 0)
        {
            problems.Add($"{p}:Limits:MaxTools must not be negative (got {limits.MaxTools}).");
        }

        if (limits.MaxJsonDepth is < 1 or > 256)
        {
            problems.Add($"{p}:Limits:MaxJsonDepth must be between 1 and 256 (got {limits.MaxJsonDepth}).");
        }
    }
}
