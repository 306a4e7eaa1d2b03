using System.Collections.Concurrent;

namespace Sidecar.Diagnostics;

/// <summary>
/// Passes the first <c>limit</c> distinct values of a label through and folds the rest into
/// <c>other</c>, so values that callers choose cannot grow the number of metric series without bound.
/// </summary>
internal sealed class BoundedLabel(int limit)
{
    public const string Other = "other";

    private readonly ConcurrentDictionary<string, string> _seen = new(StringComparer.Ordinal);

    public string Of(string value)
    {
        if (_seen.TryGetValue(value, out var known))
        {
            return known;
        }

        if (_seen.Count >= limit)
        {
            return Other;
        }

        return _seen.GetOrAdd(value, value);
    }
}
