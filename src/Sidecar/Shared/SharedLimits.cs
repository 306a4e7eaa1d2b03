using System.Collections.Concurrent;
using System.Globalization;
using Sidecar.Configuration;
using Sidecar.Errors;
using Sidecar.Keys;
using StackExchange.Redis;

namespace Sidecar.Shared;

/// <summary>
/// Limits and budgets shared by every sidecar on the same Redis (<c>Sidecar:Keys:&lt;key_ref&gt;:SharedLimits</c> and
/// <c>:Budget</c>), checked at the limits step next to <see cref="Resilience.LocalLimits"/>. A call is admitted by one
/// script run (requests counted there), and its tokens are counted by another when it ends, from the usage the
/// upstream reported: calls in flight may overshoot a tokens window or a budget by their own usage
/// (docs/scaling.md). When Redis cannot answer within its budget the fail mode applies.
/// </summary>
internal sealed class SharedLimits
{
    private readonly LiveOptions _options;
    private readonly RedisConnection _redis;
    private readonly SharedMetrics _metrics;
    private readonly TimeProvider _time;

    // Only configured key refs with a budget reach these maps; a reload drops the others.
    private readonly ConcurrentDictionary<string, LocalTally> _tallies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string KeyRef, string Period), long> _remaining = new();

    public SharedLimits(LiveOptions options, RedisConnection redis, SharedMetrics metrics, TimeProvider time)
    {
        _options = options;
        _redis = redis;
        _metrics = metrics;
        _time = time;
        options.Changed += Forget;
        metrics.Meter.CreateObservableGauge(
            "sidecar.budget.remaining",
            Remaining,
            unit: "{token}",
            description: "Tokens left in a key ref's budget for the current UTC day or month, as last seen in Redis.");
    }

    /// <summary>
    /// Admits one call on <paramref name="key"/>, or throws <see cref="SidecarError.SharedLimit"/>,
    /// <see cref="SidecarError.BudgetExhausted"/> or (fail mode closed, Redis away) <see cref="SidecarError.SharedStateUnavailable"/>.
    /// Dispose the lease when the call ends, after giving it the call's usage.
    /// </summary>
    public async ValueTask<SharedLease> AdmitAsync(ResolvedKey key, CancellationToken cancellationToken)
    {
        if (!_redis.IsConfigured || Settings(key.KeyRef) is not { } settings)
        {
            return SharedLease.None;
        }

        var now = _time.GetUtcNow();
        var (ok, result) = await _redis.RunAsync(
            "admit",
            db => db.ScriptEvaluateAsync(
                SharedScripts.Admit,
                [SharedKeys.Requests(settings.KeyRef), SharedKeys.Tokens(settings.KeyRef), SharedKeys.Day(settings.KeyRef, now), SharedKeys.Month(settings.KeyRef, now)],
                [settings.RequestsPerMinute, settings.TokensPerMinute, settings.TokensPerDay, settings.TokensPerMonth]),
            cancellationToken).ConfigureAwait(false);

        if (ok && result is not null)
        {
            var values = (RedisValue[])result!;
            var verdict = (int)values[0];
            Seen(settings, (long)values[2], (long)values[3]);
            switch (verdict)
            {
                case 1:
                    throw Limited(settings, "requests", $"{settings.RequestsPerMinute} calls a minute", TimeSpan.FromMilliseconds((long)values[1]));
                case 2:
                    throw Limited(settings, "tokens", $"{settings.TokensPerMinute} tokens a minute", TimeSpan.FromMilliseconds((long)values[1]));
                case 3:
                    throw Exhausted(settings, BudgetPeriods.Day, settings.TokensPerDay, BudgetPeriods.DayEnd(now) - now);
                case 4:
                    throw Exhausted(settings, BudgetPeriods.Month, settings.TokensPerMonth, BudgetPeriods.MonthEnd(now) - now);
                default:
                    return new SharedLease(this, settings);
            }
        }

        switch (_redis.FailMode)
        {
            case RedisFailModes.Closed:
                _metrics.Refused("redis");
                throw SidecarErrors.SharedStateUnavailable(settings.KeyRef);
            case RedisFailModes.Local when settings.HasBudget:
                CheckLocalShare(settings, now);
                break;
        }

        // The per-pod limits (LocalLimits) still hold; the tokens this call uses are counted locally until Redis is back.
        return new SharedLease(this, settings);
    }

    /// <summary>Counts a finished call's tokens; when Redis is away they wait in the local tally.</summary>
    internal async ValueTask RecordAsync(SharedLimitsSettings settings, long tokens)
    {
        var now = _time.GetUtcNow();
        var tally = _tallies.GetOrAdd(settings.KeyRef, static _ => new LocalTally());
        var owed = tally.Take(now);
        var total = tokens + owed;
        var (ok, result) = await _redis.RunAsync(
            "record",
            db => db.ScriptEvaluateAsync(
                SharedScripts.Record,
                [SharedKeys.Tokens(settings.KeyRef), SharedKeys.Day(settings.KeyRef, now), SharedKeys.Month(settings.KeyRef, now)],
                [
                    total,
                    settings.TokensPerMinute > 0 ? "1" : "0",
                    BudgetPeriods.DayEnd(now).AddHours(1).ToUnixTimeSeconds(),
                    BudgetPeriods.MonthEnd(now).AddDays(1).ToUnixTimeSeconds(),
                ]),
            CancellationToken.None).ConfigureAwait(false);
        if (ok && result is not null)
        {
            var values = (RedisValue[])result!;
            Seen(settings, (long)values[0], (long)values[1]);
        }
        else
        {
            tally.Add(now, total);
        }
    }

    private SharedLimitsSettings? Settings(string keyRef)
    {
        if (!_options.Current.Keys.TryGetValue(keyRef, out var key))
        {
            return null;
        }

        var shared = key.SharedLimits;
        var budget = key.Budget;
        var settings = new SharedLimitsSettings(
            keyRef,
            shared?.RequestsPerMinute ?? 0,
            shared?.TokensPerMinute ?? 0,
            budget?.TokensPerDay ?? 0,
            budget?.TokensPerMonth ?? 0);
        return settings is { RequestsPerMinute: 0, TokensPerMinute: 0, HasBudget: false } ? null : settings;
    }

    private void CheckLocalShare(SharedLimitsSettings settings, DateTimeOffset now)
    {
        var share = _options.Current.Redis.LocalBudgetShare;
        var (day, month) = _tallies.GetOrAdd(settings.KeyRef, static _ => new LocalTally()).Spent(now);
        if (settings.TokensPerDay > 0 && day >= (long)(settings.TokensPerDay * share))
        {
            throw Exhausted(settings, BudgetPeriods.Day, settings.TokensPerDay, BudgetPeriods.DayEnd(now) - now, share);
        }

        if (settings.TokensPerMonth > 0 && month >= (long)(settings.TokensPerMonth * share))
        {
            throw Exhausted(settings, BudgetPeriods.Month, settings.TokensPerMonth, BudgetPeriods.MonthEnd(now) - now, share);
        }
    }

    private void Seen(SharedLimitsSettings settings, long day, long month)
    {
        if (settings.TokensPerDay > 0)
        {
            _remaining[(settings.KeyRef, BudgetPeriods.Day)] = Math.Max(0, settings.TokensPerDay - day);
        }

        if (settings.TokensPerMonth > 0)
        {
            _remaining[(settings.KeyRef, BudgetPeriods.Month)] = Math.Max(0, settings.TokensPerMonth - month);
        }
    }

    private IEnumerable<System.Diagnostics.Metrics.Measurement<long>> Remaining() =>
        _remaining.Select(entry => new System.Diagnostics.Metrics.Measurement<long>(
            entry.Value,
            new KeyValuePair<string, object?>("key_ref", entry.Key.KeyRef),
            new KeyValuePair<string, object?>("period", entry.Key.Period)));

    private void Forget(SidecarOptions options)
    {
        foreach (var keyRef in _tallies.Keys.Where(k => !options.Keys.TryGetValue(k, out var key) || key.Budget is null))
        {
            _tallies.TryRemove(keyRef, out _);
        }

        foreach (var entry in _remaining.Keys.Where(k => !options.Keys.TryGetValue(k.KeyRef, out var key) || key.Budget is null))
        {
            _remaining.TryRemove(entry, out _);
        }
    }

    private SidecarException Limited(SharedLimitsSettings settings, string limit, string what, TimeSpan retryAfter)
    {
        _metrics.Refused(limit);
        return SidecarErrors.SharedLimit(settings.KeyRef, limit, what, retryAfter);
    }

    private SidecarException Exhausted(SharedLimitsSettings settings, string period, long budget, TimeSpan retryAfter, double? share = null)
    {
        _metrics.Refused(period);
        var whose = share is { } s
            ? $"this sidecar's share ({s.ToString("P0", CultureInfo.InvariantCulture)}, Redis being unreachable) of the {budget} tokens a {period}"
            : $"the {budget} tokens a {period}";
        return SidecarErrors.BudgetExhausted(settings.KeyRef, period, whose, retryAfter);
    }
}
