using Xunit.Abstractions;

namespace Sidecar.Tests.Architecture;

/// <summary>
/// The folders of src/Sidecar depend on each other one way (docs/design.md, "Layout and dependency
/// direction"). The graph is printed in the test's output:
/// <c>dotnet test tests/Sidecar.Tests --filter FolderDependencyTests --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class FolderDependencyTests(ITestOutputHelper output)
{
    private static readonly Lazy<SortedDictionary<string, SortedSet<string>>> Graph = new(() => FolderGraph.Read(SourceRoot()));

    [Fact]
    public void Folders_UseEachOtherWithoutACycle()
    {
        output.WriteLine(FolderGraph.Render(Graph.Value));

        var cycles = FolderGraph.Cycles(Graph.Value);

        Assert.True(cycles.Count == 0, "Folders that use each other: " + string.Join("; ", cycles.Select(c => "{" + string.Join(", ", c) + "}")) + Environment.NewLine + FolderGraph.Render(Graph.Value));
    }

    [Fact]
    public void Errors_IsTheBottom_UsesNoOtherFolder() => Assert.Empty(Graph.Value["Errors"]);

    [Fact]
    public void Hosting_IsTheTop_NoFolderButTheEntryPointUsesIt() =>
        Assert.Equal([FolderGraph.Root], Graph.Value.Where(f => f.Value.Contains("Hosting")).Select(f => f.Key));

    [Fact]
    public void Cycles_FindsEveryGroupOfFoldersThatReachEachOther()
    {
        var graph = new Dictionary<string, SortedSet<string>>
        {
            ["A"] = ["B"],
            ["B"] = ["C"],
            ["C"] = ["A", "D"],
            ["D"] = [],
            ["E"] = ["F"],
            ["F"] = ["E"],
        };

        var cycles = FolderGraph.Cycles(graph);

        Assert.Equal(["A, B, C", "E, F"], cycles.Select(c => string.Join(", ", c)));
    }

    private static string SourceRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sidecar.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Sidecar.sln not found above " + AppContext.BaseDirectory), "src", "Sidecar");
    }
}
