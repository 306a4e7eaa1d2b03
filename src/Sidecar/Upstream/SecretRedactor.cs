using System.Text;

namespace Sidecar.Upstream;

/// <summary>
/// Removes a key from text the daemon is about to quote from an upstream, in the disguises upstreams and
/// proxies echo it in: any run of <see cref="MinRun"/> or more characters that also occurs in the key,
/// ignoring case (a prefix, a suffix, a middle, the key upper-cased), and the same in the base64 of the key
/// and of <c>Bearer &lt;key&gt;</c> (at each of base64's three alignments, so a key embedded in a longer
/// encoded header is caught too). A key shorter than <see cref="MinRun"/> is removed where it occurs whole.
/// Each removed run becomes <c>[redacted]</c>. Over-redacting a harmless run that happens to match is the price.
/// </summary>
internal static class SecretRedactor
{
    public const int MinRun = 8;
    private const string Marker = "[redacted]";

    public static string Redact(string text, string secret)
    {
        if (secret.Length == 0 || text.Length == 0)
        {
            return text;
        }

        if (secret.Length < MinRun)
        {
            return text.Replace(secret, Marker, StringComparison.OrdinalIgnoreCase);
        }

        var covered = new bool[text.Length];
        foreach (var disguise in Disguises(secret))
        {
            Mark(text, disguise, covered);
        }

        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (!covered[i])
            {
                result.Append(text[i]);
            }
            else if (i == 0 || !covered[i - 1])
            {
                result.Append(Marker);
            }
        }

        return result.ToString();
    }

    private static IEnumerable<string> Disguises(string secret)
    {
        yield return secret;
        var key = Encoding.UTF8.GetBytes(secret);
        foreach (var prefix in new[] { string.Empty, "Bearer ", "x", "xy" })
        {
            var bytes = Encoding.UTF8.GetBytes(prefix).Concat(key).ToArray();
            var encoded = Convert.ToBase64String(bytes);

            // The first characters also encode the prefix; the rest is the key's alone at this alignment.
            var skip = (Encoding.UTF8.GetByteCount(prefix) / 3) * 4;
            yield return encoded[skip..];
            yield return encoded[skip..].Replace('+', '-').Replace('/', '_');
        }
    }

    /// <summary>Marks every character of <paramref name="text"/> inside a run of at least <see cref="MinRun"/> that also occurs in <paramref name="disguise"/>.</summary>
    private static void Mark(string text, string disguise, bool[] covered)
    {
        // Longest common suffix of text[..i] and disguise[..j], row by row: O(|text| × |disguise|).
        var previous = new int[disguise.Length + 1];
        var current = new int[disguise.Length + 1];
        var runEndingAt = new int[text.Length];
        for (var i = 1; i <= text.Length; i++)
        {
            var longest = 0;
            for (var j = 1; j <= disguise.Length; j++)
            {
                current[j] = char.ToUpperInvariant(text[i - 1]) == char.ToUpperInvariant(disguise[j - 1]) ? previous[j - 1] + 1 : 0;
                longest = Math.Max(longest, current[j]);
            }

            runEndingAt[i - 1] = longest;
            (previous, current) = (current, previous);
        }

        // A run ending at i covers i-len+1..i; sweep from the right keeping the leftmost start still reaching.
        var reach = int.MaxValue;
        for (var i = text.Length - 1; i >= 0; i--)
        {
            if (runEndingAt[i] >= MinRun)
            {
                reach = Math.Min(reach, i - runEndingAt[i] + 1);
            }

            if (reach <= i)
            {
                covered[i] = true;
            }
        }
    }
}
