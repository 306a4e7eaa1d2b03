using System.Text;

namespace Sidecar.Routing;

/// <summary>
/// Each target a call tried or skipped, and why it moved on: it becomes <c>ErrorInfo.metadata["attempts"]</c>
/// when every target failed. Names are configured key refs and reasons are contract names, so nothing here
/// is a secret; at most <see cref="MaxListed"/> entries are listed, the rest counted.
/// </summary>
internal sealed class AttemptLog
{
    internal const int MaxListed = 16;

    private readonly List<(string Target, string Reason, bool Skipped)> _entries = [];
    private int _more;

    public int Count => _entries.Count + _more;

    public void Add(string target, string reason, bool skipped = false)
    {
        if (_entries.Count < MaxListed)
        {
            _entries.Add((target, reason, skipped));
        }
        else
        {
            _more++;
        }
    }

    /// <summary><c>team-a-1:UPSTREAM_UNAVAILABLE,team-a-2:CIRCUIT_OPEN(skipped),azure:UPSTREAM_RATE_LIMITED</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var (target, reason, skipped) in _entries)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(target).Append(':').Append(reason);
            if (skipped)
            {
                text.Append("(skipped)");
            }
        }

        if (_more > 0)
        {
            text.Append(",+").Append(_more).Append(" more");
        }

        return text.ToString();
    }
}
