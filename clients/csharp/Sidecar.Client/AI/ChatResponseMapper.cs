using System.Text.Json;
using Microsoft.Extensions.AI;
using Sidecar.V1;

namespace Sidecar.Client.AI;

/// <summary>Maps the daemon's answers onto Microsoft.Extensions.AI types.</summary>
internal static class ChatResponseMapper
{
    public static ChatResponse ToChatResponse(CompleteResponse response)
    {
        var message = new ChatMessage(ChatRole.Assistant, ToContents(response.Message))
        {
            MessageId = response.Id,
            RawRepresentation = response.Message,
        };
        return new ChatResponse(message)
        {
            ResponseId = response.Id,
            ModelId = response.Model,
            FinishReason = ToFinishReason(response.FinishReason),
            Usage = ToUsage(response.Usage),
            RawRepresentation = response,
        };
    }

    public static List<AIContent> ToContents(Message? message)
    {
        var contents = new List<AIContent>();
        if (message is null)
        {
            return contents;
        }
        if (message.Content.Length > 0)
        {
            contents.Add(new TextContent(message.Content));
        }
        foreach (var call in message.ToolCalls)
        {
            contents.Add(ToFunctionCall(call));
        }
        return contents;
    }

    /// <summary>
    /// A function call with its arguments parsed; arguments that are not a JSON object leave the
    /// call's <c>Exception</c> set, which FunctionInvokingChatClient reports back to the model.
    /// </summary>
    public static FunctionCallContent ToFunctionCall(ToolCall call) =>
        FunctionCallContent.CreateFromParsedArguments(call.ArgumentsJson, call.Id, call.Name, static json =>
            json.Length == 0
                ? new Dictionary<string, object?>()
                : (IDictionary<string, object?>?)JsonSerializer.Deserialize(json, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>))));

    public static ChatFinishReason? ToFinishReason(FinishReason reason) => reason switch
    {
        FinishReason.Stop => ChatFinishReason.Stop,
        FinishReason.Length => ChatFinishReason.Length,
        FinishReason.ToolCalls => ChatFinishReason.ToolCalls,
        FinishReason.ContentFilter => ChatFinishReason.ContentFilter,
        _ => null,
    };

    public static UsageDetails? ToUsage(Usage? usage) => usage is null
        ? null
        : new UsageDetails
        {
            InputTokenCount = usage.PromptTokens,
            OutputTokenCount = usage.CompletionTokens,
            TotalTokenCount = usage.TotalTokens,
            CachedInputTokenCount = usage.CachedPromptTokens,
            ReasoningTokenCount = usage.ReasoningTokens,
        };
}
