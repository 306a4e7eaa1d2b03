namespace Sidecar.Configuration;

/// <summary>Checks <c>Sidecar:Redis</c>, and every key ref's shared limits, budget and cache time to live.</summary>
internal sealed class RedisOptionsValidator : IOptionsValidator
{
    internal static readonly TimeSpan MaxCacheTtl = TimeSpan.FromDays(7);

    public void Validate(SidecarOptions options, string path, OptionsProblems problems)
    {
        var redis = options.Redis;
        var p = $"{path}:Redis";
        var on = !string.IsNullOrWhiteSpace(redis.Configuration);
        if (on)
        {
            var found = new List<string>();
            RedisSettings.TryBuild(redis, found);
            foreach (var problem in found)
            {
                problems.Add($"{p}:{problem}");
            }
        }
        else if (!string.IsNullOrWhiteSpace(redis.CaFile))
        {
            problems.Add($"{p}:CaFile is set, but {p}:Configuration is empty: there is no Redis to trust.");
        }

        if (redis.FailMode is not (RedisFailModes.Local or RedisFailModes.Open or RedisFailModes.Closed))
        {
            problems.Add($"{p}:FailMode must be '{RedisFailModes.Local}', '{RedisFailModes.Open}' or '{RedisFailModes.Closed}' (got '{redis.FailMode}').");
        }

        if (redis.OperationTimeout < TimeSpan.FromMilliseconds(1) || redis.OperationTimeout > TimeSpan.FromSeconds(5))
        {
            problems.Add($"{p}:OperationTimeout must be between 1 ms and 5 s (got {redis.OperationTimeout}).");
        }

        if (!(redis.LocalBudgetShare > 0 && redis.LocalBudgetShare <= 1))
        {
            problems.Add($"{p}:LocalBudgetShare must be above 0 and at most 1 (got {redis.LocalBudgetShare}).");
        }

        foreach (var (keyRef, key) in options.Keys)
        {
            var k = $"{path}:Keys:{keyRef}";
            if (key.SharedLimits is { } shared)
            {
                NotNegative(problems, $"{k}:SharedLimits:RequestsPerMinute", shared.RequestsPerMinute);
                NotNegative(problems, $"{k}:SharedLimits:TokensPerMinute", shared.TokensPerMinute);
                if (!on && (shared.RequestsPerMinute > 0 || shared.TokensPerMinute > 0))
                {
                    problems.Add($"{k}:SharedLimits needs {p}:Configuration: shared limits are kept in Redis.");
                }
            }

            if (key.Budget is { } budget)
            {
                NotNegative(problems, $"{k}:Budget:TokensPerDay", budget.TokensPerDay);
                NotNegative(problems, $"{k}:Budget:TokensPerMonth", budget.TokensPerMonth);
                if (!on && (budget.TokensPerDay > 0 || budget.TokensPerMonth > 0))
                {
                    problems.Add($"{k}:Budget needs {p}:Configuration: budgets are kept in Redis, so they hold across sidecars and restarts.");
                }
            }

            if (key.Cache is { } cache && (cache.Ttl < TimeSpan.Zero || cache.Ttl > MaxCacheTtl))
            {
                problems.Add($"{k}:Cache:Ttl must be between 0 (off) and {MaxCacheTtl.TotalDays:F0} days (got {cache.Ttl}).");
            }
        }
    }

    private static void NotNegative(OptionsProblems problems, string path, long value)
    {
        if (value < 0)
        {
            problems.Add($"{path} must not be negative (got {value}).");
        }
    }
}
