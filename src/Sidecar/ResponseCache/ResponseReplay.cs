using Sidecar.Upstream;
using Sidecar.V1;

namespace Sidecar.ResponseCache;

/// <summary>
/// A cached answer as a stream: its content, its tool calls (each whole, with its index), then the one final chunk
/// with the finish reason, the usage and <c>served_by</c> (docs/design.md, "The API contract").
/// </summary>
internal static class ResponseReplay
{
    public static IEnumerable<CompleteChunk> Chunks(CompleteResponse response, ServedBy servedBy)
    {
        var message = response.Message ?? new Message();
        if (message.Content.Length > 0)
        {
            var content = new CompleteChunk { Id = response.Id, Model = response.Model, ContentDelta = message.Content };
            foreach (var piece in ChatResponseMapper.IsOversized(content) ? ChatResponseMapper.Split(content) : [content])
            {
                yield return piece;
            }
        }

        for (var i = 0; i < message.ToolCalls.Count; i++)
        {
            var call = message.ToolCalls[i];
            var delta = new CompleteChunk { Id = response.Id, Model = response.Model };
            delta.ToolCallDeltas.Add(new ToolCallDelta { Index = i, Id = call.Id, Name = call.Name, ArgumentsDelta = call.ArgumentsJson });
            foreach (var piece in ChatResponseMapper.IsOversized(delta) ? ChatResponseMapper.Split(delta) : [delta])
            {
                yield return piece;
            }
        }

        yield return new CompleteChunk
        {
            Id = response.Id,
            Model = response.Model,
            FinishReason = response.FinishReason,
            Usage = response.Usage,
            ServedBy = servedBy,
        };
    }
}
