using System.Text;
using OpenAI.Chat;
using Sidecar.V1;

namespace Sidecar.Upstream;

/// <summary>Turns the SDK's answers into ours.</summary>
internal static class ChatResponseMapper
{
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
}
