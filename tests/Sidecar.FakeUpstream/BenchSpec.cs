using System.Collections.Concurrent;
using System.Globalization;

namespace Sidecar.FakeUpstream;

/// <summary>
/// What the fake does for a <c>bench-*</c> model (<see cref="BenchScenario"/>, the load bench's upstream), read
/// from the model name so that the daemon and the direct SDK call carry exactly the same request:
/// <c>bench[-d&lt;delay ms&gt;][-c&lt;chunks&gt;][-i&lt;interval ms&gt;][-hang][-x&lt;id&gt;]</c>.
/// <list type="bullet">
/// <item><c>-d</c>: wait this long before answering (default 0).</item>
/// <item><c>-c</c>: content chunks in a streamed answer (default 20).</item>
/// <item><c>-i</c>: pause between streamed chunks (default 0: back to back, each flushed on its own).</item>
/// <item><c>-hang</c>: never finish; a stream sends its first chunk and then waits for the client to go.</item>
/// <item><c>-x</c>: an id whose arrival and abort times the control endpoints report.</item>
/// </list>
/// </summary>
public sealed record BenchSpec(int DelayMs, int Chunks, int IntervalMs, bool Hang, string? Id)
{
    private static readonly ConcurrentDictionary<string, BenchSpec> Parsed = new(StringComparer.Ordinal);

    public const string Prefix = "bench";

    /// <summary>The content of every unary answer.</summary>
    public const string UnaryContent = "Hello from the bench upstream.";

    public static bool IsBench(string model) => model.StartsWith(Prefix, StringComparison.Ordinal);

    public static string Model(int delayMs = 0, int chunks = 20, int intervalMs = 0, bool hang = false, string? id = null)
    {
        var model = $"{Prefix}-d{delayMs}-c{chunks}-i{intervalMs}";
        if (hang)
        {
            model += "-hang";
        }

        return id is null ? model : $"{model}-x{id}";
    }

    public static BenchSpec Parse(string model)
    {
        if (Parsed.TryGetValue(model, out var spec))
        {
            return spec;
        }

        spec = ParseUncached(model);
        if (spec.Id is null && Parsed.Count < 1000)
        {
            Parsed.TryAdd(model, spec);
        }

        return spec;
    }

    private static BenchSpec ParseUncached(string model)
    {
        int delay = 0, chunks = 20, interval = 0;
        var hang = false;
        string? id = null;
        foreach (var part in model.Split('-'))
        {
            if (part == "hang")
            {
                hang = true;
            }
            else if (part.Length > 1 && part[0] == 'x')
            {
                id = part[1..];
            }
            else if (part.Length > 1 && int.TryParse(part.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                switch (part[0])
                {
                    case 'd': delay = n; break;
                    case 'c': chunks = n; break;
                    case 'i': interval = n; break;
                }
            }
        }

        return new BenchSpec(delay, chunks, interval, hang, id);
    }
}
