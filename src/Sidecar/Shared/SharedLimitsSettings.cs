namespace Sidecar.Shared;

/// <summary>A key ref's shared limits and budget, as configured (0: none).</summary>
internal sealed record SharedLimitsSettings(string KeyRef, int RequestsPerMinute, long TokensPerMinute, long TokensPerDay, long TokensPerMonth)
{
    public bool HasBudget => TokensPerDay > 0 || TokensPerMonth > 0;
}
