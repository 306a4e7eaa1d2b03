using System.Text.Json;
using Microsoft.Extensions.AI;
using Sidecar.V1;

namespace Sidecar.Client.AI;

/// <summary>
/// Maps Microsoft.Extensions.AI messages and options onto a <see cref="CompleteRequest"/>. What the
/// contract cannot carry is refused with <see cref="NotSupportedException"/> rather than dropped.
/// </summary>
internal static class ChatRequestMapper
{
    private static readonly ChatRole Developer = new("developer");

    // M.E.AI's defaults indent; arguments and results travel as compact JSON text.
    private static readonly JsonSerializerOptions Compact = CreateCompact();

    public static CompleteRequest ToRequest(IChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = options?.RawRepresentationFactory?.Invoke(client) as CompleteRequest ?? new CompleteRequest();
        if (options?.Instructions is { Length: > 0 } instructions)
        {
            request.Messages.Add(new Message { Role = Role.System, Content = instructions });
        }
        foreach (var message in messages)
        {
            AddMessage(request, message);
        }
        if (options is not null)
        {
            ApplyOptions(request, options);
        }
        return request;
    }

    private static void AddMessage(CompleteRequest request, ChatMessage message)
    {
        var role = ToRole(message.Role);
        var text = new System.Text.StringBuilder();
        var target = new Message { Role = role, Name = message.AuthorName ?? string.Empty };
        var toolResults = new List<Message>();
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case TextContent t:
                    text.Append(t.Text);
                    break;
                case FunctionCallContent call when role == Role.Assistant:
                    target.ToolCalls.Add(new ToolCall { Id = call.CallId, Name = call.Name, ArgumentsJson = SerializeArguments(call.Arguments) });
                    break;
                case FunctionResultContent result:
                    toolResults.Add(new Message { Role = Role.Tool, ToolCallId = result.CallId, Content = SerializeResult(result.Result) });
                    break;
                case UsageContent:
                    break; // bookkeeping of an earlier answer, not part of the conversation
                default:
                    throw new NotSupportedException(
                        $"The sidecar carries text, function calls (assistant) and function results; a {message.Role} message holds {content.GetType().Name}.");
            }
        }
        if (toolResults.Count > 0)
        {
            // The contract has one tool result per message, naming its call by tool_call_id.
            if (text.Length > 0 || target.ToolCalls.Count > 0)
            {
                throw new NotSupportedException("A message with function results may not also hold text or function calls.");
            }
            request.Messages.AddRange(toolResults);
            return;
        }
        target.Content = text.ToString();
        request.Messages.Add(target);
    }

    private static Role ToRole(ChatRole role)
    {
        if (role == ChatRole.User)
        {
            return Role.User;
        }
        if (role == ChatRole.Assistant)
        {
            return Role.Assistant;
        }
        if (role == ChatRole.System)
        {
            return Role.System;
        }
        if (role == ChatRole.Tool)
        {
            return Role.Tool;
        }
        if (role == Developer)
        {
            return Role.Developer;
        }
        throw new NotSupportedException($"The sidecar has no role '{role}' (system, developer, user, assistant, tool).");
    }

    private static void ApplyOptions(CompleteRequest request, ChatOptions options)
    {
        Refuse(options.TopK is not null, nameof(options.TopK));
        Refuse(options.ConversationId is not null, nameof(options.ConversationId));
        Refuse(options.Reasoning is not null, nameof(options.Reasoning));
        Refuse(options.AllowBackgroundResponses == true, nameof(options.AllowBackgroundResponses));
        Refuse(options.ContinuationToken is not null, nameof(options.ContinuationToken));
        Refuse(options.AllowMultipleToolCalls == false, nameof(options.AllowMultipleToolCalls) + " = false");

        if (options.ModelId is { Length: > 0 } model)
        {
            request.Model = model;
        }
        if (options.Temperature is { } temperature)
        {
            request.Temperature = temperature;
        }
        if (options.TopP is { } topP)
        {
            request.TopP = topP;
        }
        if (options.MaxOutputTokens is { } maxTokens)
        {
            request.MaxTokens = maxTokens;
        }
        if (options.StopSequences is { Count: > 0 } stop)
        {
            request.Stop.AddRange(stop);
        }
        if (options.Seed is { } seed)
        {
            request.Seed = seed;
        }
        if (options.PresencePenalty is { } presence)
        {
            request.PresencePenalty = presence;
        }
        if (options.FrequencyPenalty is { } frequency)
        {
            request.FrequencyPenalty = frequency;
        }
        foreach (var tool in options.Tools ?? [])
        {
            request.Tools.Add(ToTool(tool));
        }
        if (options.ToolMode is { } mode)
        {
            request.ToolChoice = ToToolChoice(mode);
        }
        if (options.ResponseFormat is { } format)
        {
            request.ResponseFormat = ToResponseFormat(format, options.AdditionalProperties);
        }
        ApplyAdditionalProperties(request, options.AdditionalProperties);
    }

    private static void Refuse(bool isSet, string option)
    {
        if (isSet)
        {
            throw new NotSupportedException($"The sidecar has no equivalent of ChatOptions.{option}.");
        }
    }

    private static Tool ToTool(AITool tool) => tool switch
    {
        AIFunctionDeclaration function => new Tool
        {
            Name = function.Name,
            Description = function.Description ?? string.Empty,
            ParametersJsonSchema = function.JsonSchema.ValueKind == JsonValueKind.Undefined ? string.Empty : function.JsonSchema.GetRawText(),
        },
        _ => throw new NotSupportedException($"The sidecar offers functions only; {tool.GetType().Name} ('{tool.Name}') is not one."),
    };

    private static ToolChoice ToToolChoice(ChatToolMode mode) => mode switch
    {
        RequiredChatToolMode { RequiredFunctionName: { } name } => new ToolChoice { FunctionName = name },
        RequiredChatToolMode => new ToolChoice { Mode = ToolChoiceMode.Required },
        NoneChatToolMode => new ToolChoice { Mode = ToolChoiceMode.None },
        AutoChatToolMode => new ToolChoice { Mode = ToolChoiceMode.Auto },
        _ => throw new NotSupportedException($"Unknown tool mode {mode.GetType().Name}."),
    };

    private static ResponseFormat ToResponseFormat(ChatResponseFormat format, AdditionalPropertiesDictionary? properties) => format switch
    {
        ChatResponseFormatText => new ResponseFormat { Type = ResponseFormatType.Text },
        ChatResponseFormatJson { Schema: null } => new ResponseFormat { Type = ResponseFormatType.JsonObject },
        ChatResponseFormatJson json => new ResponseFormat
        {
            Type = ResponseFormatType.JsonSchema,
            JsonSchemaName = json.SchemaName ?? "response",
            JsonSchema = json.Schema.Value.GetRawText(),
            JsonSchemaDescription = json.SchemaDescription ?? string.Empty,
            JsonSchemaStrict = properties?.TryGetValue(SidecarChatOptionKeys.JsonSchemaStrict, out bool strict) == true && strict,
        },
        _ => throw new NotSupportedException($"Unknown response format {format.GetType().Name}."),
    };

    private static void ApplyAdditionalProperties(CompleteRequest request, AdditionalPropertiesDictionary? properties)
    {
        if (properties is null)
        {
            return;
        }
        if (properties.TryGetValue(SidecarChatOptionKeys.KeyRef, out string? keyRef) && !string.IsNullOrEmpty(keyRef))
        {
            request.KeyRef = keyRef;
        }
        if (properties.TryGetValue(SidecarChatOptionKeys.User, out string? user) && user is not null)
        {
            request.User = user;
        }
        if (properties.TryGetValue(SidecarChatOptionKeys.Metadata, out var metadata) && metadata is not null)
        {
            if (metadata is not IEnumerable<KeyValuePair<string, string>> pairs)
            {
                throw new ArgumentException($"AdditionalProperties[\"{SidecarChatOptionKeys.Metadata}\"] must be string pairs (e.g. a Dictionary<string, string>); it is {metadata.GetType().Name}.");
            }
            foreach (var (key, value) in pairs)
            {
                request.Metadata[key] = value;
            }
        }
    }

    private static string SerializeArguments(IDictionary<string, object?>? arguments) =>
        arguments is null ? "{}" : JsonSerializer.Serialize(arguments, Compact.GetTypeInfo(typeof(IDictionary<string, object?>)));

    private static string SerializeResult(object? result) => result switch
    {
        null => string.Empty,
        string s => s,
        // AIFunction returns its result as JSON; a JSON string is the tool's text, unquoted.
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
        _ => JsonSerializer.Serialize(result, Compact.GetTypeInfo(typeof(object))),
    };

    private static JsonSerializerOptions CreateCompact()
    {
        var options = new JsonSerializerOptions(AIJsonUtilities.DefaultOptions) { WriteIndented = false };
        options.MakeReadOnly();
        return options;
    }
}
