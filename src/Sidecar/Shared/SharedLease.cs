using Sidecar.V1;

namespace Sidecar.Shared;

/// <summary>
/// One admitted call's place in the shared limits: give it the usage the upstream reported
/// (<see cref="Used"/>), and disposing it counts those tokens in Redis (tokens a minute, the budgets).
/// </summary>
internal sealed class SharedLease : IAsyncDisposable
{
    /// <summary>For key refs with nothing shared: nothing to count.</summary>
    public static readonly SharedLease None = new(null, null);

    private readonly SharedLimits? _limits;
    private readonly SharedLimitsSettings? _settings;
    private long _tokens;
    private int _done;

    public SharedLease(SharedLimits? limits, SharedLimitsSettings? settings)
    {
        _limits = limits;
        _settings = settings;
    }

    /// <summary>The usage of the call (the last one reported wins; a stream reports it once, at the end).</summary>
    public void Used(Usage? usage)
    {
        if (usage is not null)
        {
            var total = usage.TotalTokens > 0 ? usage.TotalTokens : (long)usage.PromptTokens + usage.CompletionTokens;
            Interlocked.Exchange(ref _tokens, total);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (_limits is null || _settings is null || Interlocked.Exchange(ref _done, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        var tokens = Interlocked.Read(ref _tokens);
        return tokens > 0 ? _limits.RecordAsync(_settings, tokens) : ValueTask.CompletedTask;
    }
}
