using System.Text;
using System.Text.RegularExpressions;

namespace Sidecar.Tests.Architecture;

/// <summary>
/// Which folders of src/Sidecar use which, read from the source text: <c>using Sidecar.X</c> (plain, static
/// or alias), fully qualified <c>Sidecar.X.Type</c>, a type named from the enclosing namespace
/// (<c>X.Type</c>, which C# resolves as <c>Sidecar.X.Type</c>) and the same in <c>cref</c>s. A folder is a
/// namespace (docs/design.md, "Layout and dependency direction"); files at the root form the node <c>(root)</c>.
/// </summary>
internal static class FolderGraph
{
    public const string Root = "(root)";

    /// <summary>Every folder with the folders it uses (never itself), sorted by name.</summary>
    public static SortedDictionary<string, SortedSet<string>> Read(string sourceRoot)
    {
        var files = Directory.EnumerateFiles(sourceRoot, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(Path.GetRelativePath(sourceRoot, f)))
            .Select(f => (Folder: FolderOf(sourceRoot, f), Text: WithoutComments(File.ReadAllText(f))))
            .ToList();
        var typesByFolder = files
            .GroupBy(f => f.Folder)
            .ToDictionary(g => g.Key, g => g.SelectMany(f => TypeDeclaration.Matches(f.Text).Select(m => m.Groups["name"].Value)).ToHashSet());
        var graph = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (folder, text) in files)
        {
            var uses = graph.TryGetValue(folder, out var known) ? known : graph[folder] = new(StringComparer.Ordinal);
            foreach (Match m in Qualified.Matches(text))
            {
                uses.Add(m.Groups["folder"].Value);
            }

            foreach (Match m in Relative.Matches(text))
            {
                // Only Folder.Type for a type that folder declares: a property that happens to share a
                // folder's name (options.Upstream.X) is no dependency.
                if (typesByFolder.TryGetValue(m.Groups["folder"].Value, out var types) && types.Contains(m.Groups["type"].Value))
                {
                    uses.Add(m.Groups["folder"].Value);
                }
            }
        }

        foreach (var (folder, uses) in graph)
        {
            uses.Remove(folder);
            uses.RemoveWhere(used => !graph.ContainsKey(used));
        }

        return graph;
    }

    /// <summary>The groups of folders that reach each other (each a cycle); empty when the graph has none.</summary>
    public static List<SortedSet<string>> Cycles(IReadOnlyDictionary<string, SortedSet<string>> graph)
    {
        var reach = graph.Keys.ToDictionary(f => f, f => Reachable(graph, f));
        var cycles = new List<SortedSet<string>>();
        foreach (var folder in graph.Keys)
        {
            if (cycles.Any(c => c.Contains(folder)))
            {
                continue;
            }

            var group = new SortedSet<string>(graph.Keys.Where(other => other != folder && reach[folder].Contains(other) && reach[other].Contains(folder)), StringComparer.Ordinal);
            if (group.Count > 0)
            {
                group.Add(folder);
                cycles.Add(group);
            }
        }

        return cycles;
    }

    /// <summary>One line a folder, <c>Api → Caching, Clients</c>, users before what they use (by name among equals).</summary>
    public static string Render(IReadOnlyDictionary<string, SortedSet<string>> graph)
    {
        var text = new StringBuilder();
        foreach (var folder in TopDown(graph))
        {
            text.Append(folder).Append(" → ").AppendLine(graph[folder].Count == 0 ? "(nothing)" : string.Join(", ", graph[folder]));
        }

        return text.ToString();
    }

    /// <summary>The folders, each before every folder it uses; folders on a cycle come last, by name.</summary>
    private static List<string> TopDown(IReadOnlyDictionary<string, SortedSet<string>> graph)
    {
        var usedBy = graph.Keys.ToDictionary(f => f, f => graph.Count(g => g.Value.Contains(f)));
        var ready = new SortedSet<string>(usedBy.Where(u => u.Value == 0).Select(u => u.Key), StringComparer.Ordinal);
        var order = new List<string>();
        while (ready.Count > 0)
        {
            var next = ready.Min!;
            ready.Remove(next);
            order.Add(next);
            foreach (var used in graph[next])
            {
                if (--usedBy[used] == 0)
                {
                    ready.Add(used);
                }
            }
        }

        order.AddRange(graph.Keys.Where(f => !order.Contains(f)));
        return order;
    }

    private static HashSet<string> Reachable(IReadOnlyDictionary<string, SortedSet<string>> graph, string from)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(graph[from]);
        while (pending.TryPop(out var folder))
        {
            if (seen.Add(folder))
            {
                foreach (var next in graph[folder])
                {
                    pending.Push(next);
                }
            }
        }

        return seen;
    }

    private static bool IsBuildOutput(string relative) =>
        relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj";

    private static string FolderOf(string sourceRoot, string file)
    {
        var parts = Path.GetRelativePath(sourceRoot, file).Split(Path.DirectorySeparatorChar);
        return parts.Length == 1 ? Root : parts[0];
    }

    /// <summary>The text without comments, but with the types that <c>cref</c>s name kept as code.</summary>
    private static string WithoutComments(string text) =>
        Comment.Replace(text, m => string.Join(' ', Cref.Matches(m.Value).Select(c => c.Groups["type"].Value)));

    private static readonly Regex Comment = new(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline);
    private static readonly Regex Cref = new("cref=\"(?<type>[^\"]+)\"");
    private static readonly Regex TypeDeclaration = new(@"\b(?:class|record|struct|interface|enum)\s+(?:struct\s+|class\s+)?(?<name>[A-Z]\w*)");
    private static readonly Regex Qualified = new(@"(?<![\w.])(?:global::)?Sidecar\.(?<folder>[A-Z]\w*)");

    // Folder.Type, as code in namespace Sidecar.X may name a type of Sidecar.Y.
    private static readonly Regex Relative = new(@"(?<![\w.])(?<folder>[A-Z]\w*)\.(?<type>[A-Z]\w*)");
}
