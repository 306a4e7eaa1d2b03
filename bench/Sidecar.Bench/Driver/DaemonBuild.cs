using Sidecar.Testing;

namespace Sidecar.Bench.Driver;

/// <summary>
/// A server the bench starts and measures: the daemon as Native AOT binary (what ships), the daemon
/// on the JIT (<c>dotnet Sidecar.dll</c>, what <c>dotnet test</c> runs), or the floor reference (a
/// minimal grpc-go server of the same proto, <c>bench/floor</c>).
/// </summary>
/// <param name="Name">Short column name: AOT, JIT, floor.</param>
/// <param name="Description">What it is, for the report.</param>
/// <param name="Program">The executable.</param>
/// <param name="Arguments">Arguments before the bench's own.</param>
/// <param name="IsSidecar">True for the daemon (takes the Sidecar settings; has the openai and echo key_refs).</param>
/// <param name="PublishDirectory">The published folder whose size estimates the image, when there is one.</param>
internal sealed record DaemonBuild(string Name, string Description, string Program, IReadOnlyList<string> Arguments, bool IsSidecar, string? PublishDirectory)
{
    /// <summary>Environment of this server only (an A/B experiment: <c>--aot-b</c> with <c>--aot-b-env</c>).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public const string Aot = "AOT";
    public const string Jit = "JIT";
    public const string Floor = "floor";

    public static DaemonBuild AotBinary(string binary) =>
        new(Aot, $"Native AOT binary `{Path.GetFileName(binary)}` (`scripts/publish.sh`)", binary, [], true, Path.GetDirectoryName(binary));

    /// <summary>A second AOT binary or the same one run differently, measured beside the first in the same rounds.</summary>
    public static DaemonBuild AotVariant(string binary, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> arguments) =>
        new("AOT-B", $"A/B variant: `{binary}`{string.Concat(environment.Select(e => $" {e.Key}={e.Value}"))}{string.Concat(arguments.Select(a => $" {a}"))}", binary, arguments, true, Path.GetDirectoryName(binary)) { Environment = environment };

    public static DaemonBuild JitDll(string dll) =>
        new(Jit, "JIT: `dotnet src/Sidecar/bin/Release/net10.0/Sidecar.dll` (Release build)", DaemonLauncher.DotnetHost(), [dll], true, null);

    public static DaemonBuild FloorServer(string binary) =>
        new(Floor, "floor: minimal grpc-go server (`bench/floor`, Debian's grpc 1.33), canned echo reply", binary, ["serve"], false, null);
}
