namespace Sidecar.Bench.Driver;

/// <summary>Names of the ways into a server that results and the report share.</summary>
internal static class BenchPaths
{
    /// <summary>The openai key_ref through the daemon's OpenAI-compatible HTTP door (<c>openai.sock</c>) instead of gRPC.</summary>
    public const string OpenAIHttp = "openai-http";

    /// <summary>Both ways to the bench upstream through the daemon: gRPC (<c>openai</c>) and the HTTP door.</summary>
    public static bool IsOpenAI(string path) => path is "openai" or OpenAIHttp;
}
