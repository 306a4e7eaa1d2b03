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
            // On the message too: where ToChatResponse() puts a streamed answer's, so that both paths
            // (and each round of a tool loop) say who answered in the same place.
            AdditionalProperties = ToAdditionalProperties(response.ServedBy),
        };
        return new ChatResponse(message)
        {
            ResponseId = response.Id,
            // The model the upstream says answered; served_by's is the name sent to it (after the
            // key_ref's ModelMap), the closest thing when the upstream names none.
            ModelId = response.Model.Length > 0 ? response.Model : response.ServedBy?.Model,
            FinishReason = ToFinishReason(response.FinishReason),
            Usage = ToUsage(response.Usage),
            AdditionalProperties = ToAdditionalProperties(response.ServedBy),
            RawRepresentation = response,
        };
    }

    /// <summary>served_by under <see cref="SidecarChatResponseKeys.ServedBy"/>; <see langword="null"/> (no bag) without it.</summary>
    public static AdditionalPropertiesDictionary? ToAdditionalProperties(ServedBy? servedBy) =>
        servedBy is null ? null : new AdditionalPropertiesDictionary { [SidecarChatResponseKeys.ServedBy] = servedBy };

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
