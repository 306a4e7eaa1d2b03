namespace Sidecar.Shared;

/// <summary>UTC budget periods: when the current day and month end.</summary>
internal static class BudgetPeriods
{
    public const string Day = "day";
    public const string Month = "month";

    public static DateTimeOffset DayEnd(DateTimeOffset now) => new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);

    public static DateTimeOffset MonthEnd(DateTimeOffset now)
    {
        var utc = now.UtcDateTime;
        return new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
    }

    /// <summary>An identity of the period <paramref name="now"/> falls in, to tell when a local tally is stale.</summary>
    public static long DayId(DateTimeOffset now) => now.UtcDateTime.Date.Ticks;

    public static long MonthId(DateTimeOffset now) => (now.UtcDateTime.Year * 12L) + now.UtcDateTime.Month;
}
