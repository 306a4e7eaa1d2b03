namespace Sidecar.Shared;

/// <summary>
/// Tokens one key ref spent while Redis could not be reached, in the current day and month. Under fail mode
/// <c>local</c> they are held against <c>LocalBudgetShare</c> of the budget; once Redis answers again they are
/// added to the shared count (nothing spent is lost), unless their period has ended.
/// </summary>
internal sealed class LocalTally
{
    private readonly object _lock = new();
    private long _dayId;
    private long _monthId;
    private long _day;
    private long _month;

    public (long Day, long Month) Spent(DateTimeOffset now)
    {
        lock (_lock)
        {
            Roll(now);
            return (_day, _month);
        }
    }

    public void Add(DateTimeOffset now, long tokens)
    {
        lock (_lock)
        {
            Roll(now);
            _day += tokens;
            _month += tokens;
        }
    }

    /// <summary>Takes what is owed to the shared count for the current period, leaving nothing.</summary>
    public long Take(DateTimeOffset now)
    {
        lock (_lock)
        {
            Roll(now);
            var owed = _month;
            _day = 0;
            _month = 0;
            return owed;
        }
    }

    private void Roll(DateTimeOffset now)
    {
        if (_dayId != BudgetPeriods.DayId(now))
        {
            _dayId = BudgetPeriods.DayId(now);
            _day = 0;
        }

        if (_monthId != BudgetPeriods.MonthId(now))
        {
            _monthId = BudgetPeriods.MonthId(now);
            _month = 0;
        }
    }
}
