namespace Sidecar.Bench.Driver;

/// <summary>Names of the ways into a server that results and the report share.</summary>
internal static class BenchPaths
{
    /// <summary>The openai key_ref through the daemon's OpenAI-compatible HTTP door (<c>openai.sock</c>) instead of gRPC.</summary>
    public const string OpenAIHttp = "openai-http";

    /// <summary>
    /// The same upstream through <c>bench-pool</c>, a key ref whose pool has one member, <c>bench</c>: what routing
    /// costs on the happy path, against the plain key ref of <c>openai</c> (docs/design.md, "Routing").
    /// </summary>
    public const string OpenAIPool = "openai-pool";

    /// <summary>The ways to the bench upstream through the daemon: gRPC (<c>openai</c>, <c>openai-pool</c>) and the HTTP door.</summary>
    public static bool IsOpenAI(string path) => path is "openai" or OpenAIHttp or OpenAIPool;
}
