using Sidecar.V1;

namespace Sidecar.OpenAIHttp;

/// <summary>An OpenAI Chat Completions request as the pipeline takes it, plus what only the HTTP door needs.</summary>
/// <param name="Request">The request in our contract's terms.</param>
/// <param name="Stream">The caller asked for server-sent events.</param>
/// <param name="IncludeUsage">The caller asked for a final usage chunk (<c>stream_options.include_usage</c>).</param>
internal sealed record OpenAIChatRequest(CompleteRequest Request, bool Stream, bool IncludeUsage);
