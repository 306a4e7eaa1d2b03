namespace Sidecar.Configuration;

/// <summary>
/// A key reference's token budget over every sidecar sharing the Redis, <c>Sidecar:Keys:&lt;key_ref&gt;:Budget</c>.
/// Periods are UTC days and months; the count lives in Redis and survives restarts. Once used up:
/// RESOURCE_EXHAUSTED, reason <c>BUDGET_EXHAUSTED</c>, with a <c>RetryInfo</c> until the period resets.
/// </summary>
public sealed class BudgetOptions
{
    /// <summary>Tokens a UTC day. Default 0: none.</summary>
    public long TokensPerDay { get; set; }

    /// <summary>Tokens a UTC month. Default 0: none.</summary>
    public long TokensPerMonth { get; set; }
}
