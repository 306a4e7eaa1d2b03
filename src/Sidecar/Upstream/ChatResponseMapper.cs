using System.Text;
using OpenAI.Chat;
using Sidecar.V1;

namespace Sidecar.Upstream;

/// <summary>Turns the SDK's answers into ours.</summary>
internal static class ChatResponseMapper
{
    /// <summary>
    /// Most characters of content, or of one tool call's arguments, in one relayed chunk: at most 768 KiB
    /// of UTF-8, well under the 4 MiB a gRPC client accepts by default, whatever one upstream event held.
    /// </summary>
    public const int MaxDeltaChars = 256 * 1024;

    public static CompleteResponse Response(ChatCompletion completion)
    {
        var message = new Message { Role = Role.Assistant, Content = Text(completion.Content) };
        foreach (var call in completion.ToolCalls)
        {
            message.ToolCalls.Add(new ToolCall
            {
                Id = call.Id,
                Name = call.FunctionName,
                ArgumentsJson = call.FunctionArguments?.ToString() ?? string.Empty,
            });
        }

        return new CompleteResponse
        {
            Id = completion.Id ?? string.Empty,
            Model = completion.Model ?? string.Empty,
            Message = message,
            FinishReason = FinishReason(completion.FinishReason),
            Usage = Usage(completion.Usage),
        };
    }

    public static V1.FinishReason FinishReason(ChatFinishReason reason) => reason switch
    {
        ChatFinishReason.Stop => V1.FinishReason.Stop,
        ChatFinishReason.Length => V1.FinishReason.Length,
        ChatFinishReason.ToolCalls => V1.FinishReason.ToolCalls,
        ChatFinishReason.FunctionCall => V1.FinishReason.ToolCalls,
        ChatFinishReason.ContentFilter => V1.FinishReason.ContentFilter,
        _ => V1.FinishReason.Stop,
    };

    public static V1.Usage? Usage(ChatTokenUsage? usage) => usage is null
        ? null
        : new V1.Usage
        {
            PromptTokens = usage.InputTokenCount,
            CompletionTokens = usage.OutputTokenCount,
            TotalTokens = usage.TotalTokenCount,
            CachedPromptTokens = usage.InputTokenDetails?.CachedTokenCount ?? 0,
            ReasoningTokens = usage.OutputTokenDetails?.ReasoningTokenCount ?? 0,
        };

    /// <summary>Maps one streamed update to a chunk, or null when it carries no content or tool-call delta.</summary>
    public static CompleteChunk? Chunk(StreamingChatCompletionUpdate update)
    {
        var content = update.ContentUpdate.Count switch
        {
            0 => string.Empty,
            1 => update.ContentUpdate[0].Text ?? string.Empty,
            _ => Text(update.ContentUpdate),
        };
        if (content.Length == 0 && update.ToolCallUpdates.Count == 0)
        {
            return null;
        }

        var chunk = new CompleteChunk
        {
            Id = update.CompletionId ?? string.Empty,
            Model = update.Model ?? string.Empty,
            ContentDelta = content,
        };
        foreach (var call in update.ToolCallUpdates)
        {
            chunk.ToolCallDeltas.Add(new ToolCallDelta
            {
                Index = call.Index,
                Id = call.ToolCallId ?? string.Empty,
                Name = call.FunctionName ?? string.Empty,
                ArgumentsDelta = call.FunctionArgumentsUpdate is { } args ? args.ToString() : string.Empty,
            });
        }

        return chunk;
    }

    private static string Text(ChatMessageContent parts)
    {
        if (parts.Count == 1)
        {
            return parts[0].Text ?? string.Empty;
        }

        var text = new StringBuilder();
        foreach (var part in parts)
        {
            text.Append(part.Text);
        }

        return text.ToString();
    }

    /// <summary>Whether <see cref="Split"/> would cut this chunk (false for every ordinary chunk).</summary>
    public static bool IsOversized(CompleteChunk chunk)
    {
        if (chunk.ContentDelta.Length > MaxDeltaChars)
        {
            return true;
        }

        foreach (var call in chunk.ToolCallDeltas)
        {
            if (call.ArgumentsDelta.Length > MaxDeltaChars)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Cuts an oversized chunk into chunks of at most <see cref="MaxDeltaChars"/> each, in order: the content,
    /// then each tool call's arguments (the first piece of a call keeps its id and name, the others only its
    /// index, as continuation deltas do). Concatenated, the pieces give back the original deltas.
    /// </summary>
    public static IEnumerable<CompleteChunk> Split(CompleteChunk chunk)
    {
        foreach (var piece in Pieces(chunk.ContentDelta))
        {
            yield return new CompleteChunk { Id = chunk.Id, Model = chunk.Model, ContentDelta = piece };
        }

        foreach (var call in chunk.ToolCallDeltas)
        {
            var first = true;
            foreach (var piece in call.ArgumentsDelta.Length == 0 ? new[] { string.Empty } : Pieces(call.ArgumentsDelta))
            {
                var delta = new ToolCallDelta { Index = call.Index, ArgumentsDelta = piece };
                if (first)
                {
                    delta.Id = call.Id;
                    delta.Name = call.Name;
                    first = false;
                }

                var next = new CompleteChunk { Id = chunk.Id, Model = chunk.Model };
                next.ToolCallDeltas.Add(delta);
                yield return next;
            }
        }
    }

    /// <summary>The text in pieces of at most <see cref="MaxDeltaChars"/>, never between the halves of a surrogate pair.</summary>
    private static IEnumerable<string> Pieces(string text)
    {
        for (var start = 0; start < text.Length;)
        {
            var length = Math.Min(MaxDeltaChars, text.Length - start);
            if (start + length < text.Length && char.IsHighSurrogate(text[start + length - 1]))
            {
                length--;
            }

            yield return text.Substring(start, length);
            start += length;
        }
    }
}
