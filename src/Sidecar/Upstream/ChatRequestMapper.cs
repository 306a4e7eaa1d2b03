using OpenAI.Chat;
using Sidecar.V1;

namespace Sidecar.Upstream;

/// <summary>Turns a validated <see cref="CompleteRequest"/> into the SDK's messages and options.</summary>
internal static class ChatRequestMapper
{
    public static List<ChatMessage> Messages(CompleteRequest request)
    {
        var messages = new List<ChatMessage>(request.Messages.Count);
        foreach (var message in request.Messages)
        {
            messages.Add(Message(message));
        }

        return messages;
    }

    public static ChatCompletionOptions Options(CompleteRequest request)
    {
        var options = new ChatCompletionOptions();
        if (request.HasTemperature)
        {
            options.Temperature = (float)request.Temperature;
        }

        if (request.HasTopP)
        {
            options.TopP = (float)request.TopP;
        }

        if (request.HasMaxTokens)
        {
            options.MaxOutputTokenCount = request.MaxTokens;
        }

        if (request.HasPresencePenalty)
        {
            options.PresencePenalty = (float)request.PresencePenalty;
        }

        if (request.HasFrequencyPenalty)
        {
            options.FrequencyPenalty = (float)request.FrequencyPenalty;
        }

        if (request.HasSeed)
        {
#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK; the wire field is stable.
            options.Seed = request.Seed;
#pragma warning restore OPENAI001
        }

        foreach (var stop in request.Stop)
        {
            options.StopSequences.Add(stop);
        }

        foreach (var tool in request.Tools)
        {
            options.Tools.Add(ChatTool.CreateFunctionTool(
                tool.Name,
                string.IsNullOrEmpty(tool.Description) ? null : tool.Description,
                string.IsNullOrEmpty(tool.ParametersJsonSchema) ? null : BinaryData.FromString(tool.ParametersJsonSchema)));
        }

        if (request.ToolChoice is { } choice)
        {
            options.ToolChoice = choice.ChoiceCase switch
            {
                ToolChoice.ChoiceOneofCase.FunctionName => ChatToolChoice.CreateFunctionChoice(choice.FunctionName),
                ToolChoice.ChoiceOneofCase.Mode => choice.Mode switch
                {
                    ToolChoiceMode.Auto => ChatToolChoice.CreateAutoChoice(),
                    ToolChoiceMode.None => ChatToolChoice.CreateNoneChoice(),
                    ToolChoiceMode.Required => ChatToolChoice.CreateRequiredChoice(),
                    _ => null,
                },
                _ => null,
            };
        }

        if (request.ResponseFormat is { } format)
        {
            options.ResponseFormat = format.Type switch
            {
                ResponseFormatType.Text => ChatResponseFormat.CreateTextFormat(),
                ResponseFormatType.JsonObject => ChatResponseFormat.CreateJsonObjectFormat(),
                ResponseFormatType.JsonSchema => ChatResponseFormat.CreateJsonSchemaFormat(
                    format.JsonSchemaName,
                    BinaryData.FromString(format.JsonSchema),
                    string.IsNullOrEmpty(format.JsonSchemaDescription) ? null : format.JsonSchemaDescription,
                    format.JsonSchemaStrict ? true : null),
                _ => null,
            };
        }

        if (request.User.Length > 0)
        {
            options.EndUserId = request.User;
        }

        foreach (var (key, value) in request.Metadata)
        {
            options.Metadata[key] = value;
        }

        return options;
    }

    private static ChatMessage Message(Message message)
    {
        var name = message.Name.Length > 0 ? message.Name : null;
        switch (message.Role)
        {
            case Role.System:
                return new SystemChatMessage(message.Content) { ParticipantName = name };
            case Role.User:
                return new UserChatMessage(message.Content) { ParticipantName = name };
#pragma warning disable OPENAI001 // DeveloperChatMessage is marked experimental in the SDK; the role is stable on the wire.
            case Role.Developer:
                return new DeveloperChatMessage(message.Content) { ParticipantName = name };
#pragma warning restore OPENAI001
            case Role.Tool:
                return new ToolChatMessage(message.ToolCallId, message.Content);
            case Role.Assistant:
                if (message.ToolCalls.Count == 0)
                {
                    return new AssistantChatMessage(message.Content) { ParticipantName = name };
                }

                var assistant = new AssistantChatMessage(message.ToolCalls.Select(call =>
                    ChatToolCall.CreateFunctionToolCall(call.Id, call.Name, BinaryData.FromString(call.ArgumentsJson))))
                {
                    ParticipantName = name,
                };
                if (message.Content.Length > 0)
                {
                    assistant.Content.Add(ChatMessageContentPart.CreateTextPart(message.Content));
                }

                return assistant;
            default:
                // The validator rejects every other role before we get here.
                throw new ArgumentOutOfRangeException(nameof(message), message.Role, "unsupported role");
        }
    }
}
