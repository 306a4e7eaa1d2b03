using System.Text.Json;
using Google.Protobuf.Collections;
using Sidecar.Errors;
using Sidecar.V1;

namespace Sidecar.OpenAIHttp;

/// <summary>
/// Reads an OpenAI Chat Completions request body into our <see cref="CompleteRequest"/>, so the HTTP
/// door feeds the same pipeline as gRPC. Every field is either mapped or refused by name: a field we
/// cannot honour is never dropped silently (README, "Use it from an existing OpenAI agent", has the
/// table). JSON <c>null</c> counts as absent, as the official SDKs send it for unset fields.
/// </summary>
internal static class ChatCompletionRequestReader
{
    private const int MaxViolations = 64;

    /// <summary>The sampling numbers: each is any JSON number, passed on for the upstream to judge.</summary>
    private static readonly Dictionary<string, Action<CompleteRequest, double>> SamplingFields = new(StringComparer.Ordinal)
    {
        ["temperature"] = static (r, x) => r.Temperature = x,
        ["top_p"] = static (r, x) => r.TopP = x,
        ["presence_penalty"] = static (r, x) => r.PresencePenalty = x,
        ["frequency_penalty"] = static (r, x) => r.FrequencyPenalty = x,
    };

    /// <summary>A message's plain string fields.</summary>
    private static readonly Dictionary<string, Action<Message, string>> MessageTextFields = new(StringComparer.Ordinal)
    {
        ["name"] = static (m, x) => m.Name = x,
        ["tool_call_id"] = static (m, x) => m.ToolCallId = x,
    };

    /// <summary>Parses <paramref name="body"/>; throws <see cref="SidecarException"/> (InvalidRequest) naming every bad field.</summary>
    public static OpenAIChatRequest Read(ReadOnlyMemory<byte> body, string keyRef, int maxJsonDepth)
    {
        JsonDocument document;
        try
        {
            // The envelope adds a few levels (messages → [i] → tool_calls → [j] → function) over the
            // schemas and arguments that the validator bounds by MaxJsonDepth itself.
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = maxJsonDepth + 8 });
        }
        catch (JsonException ex)
        {
            throw Invalid([new("body", $"is not valid JSON: {ex.Message}")]);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid([new("body", "must be a JSON object")]);
            }

            var v = new List<FieldViolation>();
            var request = new CompleteRequest { KeyRef = keyRef };
            var stream = false;
            var includeUsage = false;
            foreach (var field in Present(root.EnumerateObject()))
            {
                var value = field.Value;
                switch (field.Name)
                {
                    case "model":
                        request.Model = Text(value, "model", v);
                        break;
                    case "user":
                        request.User = Text(value, "user", v);
                        break;
                    case "messages":
                        ReadMessages(value, request.Messages, v);
                        break;
                    case var name when SamplingFields.TryGetValue(name, out var set):
                        Number(value, name, v, number => set(request, number));
                        break;
                    case "max_tokens" or "max_completion_tokens":
                        if (Int32(value, field.Name, v) is { } maxTokens)
                        {
                            if (request.HasMaxTokens && request.MaxTokens != maxTokens)
                            {
                                v.Add(new(field.Name, "max_tokens and max_completion_tokens disagree; send one"));
                            }

                            request.MaxTokens = maxTokens;
                        }

                        break;
                    case "stop":
                        ReadStop(value, request.Stop, v);
                        break;
                    case "seed":
                        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seed))
                        {
                            request.Seed = seed;
                        }
                        else
                        {
                            v.Add(new("seed", "must be an integer"));
                        }

                        break;
                    case "tools":
                        ReadTools(value, request.Tools, v);
                        break;
                    case "tool_choice":
                        request.ToolChoice = ReadToolChoice(value, v);
                        break;
                    case "parallel_tool_calls":
                        // Upstreams call tools in parallel by default and our contract has no switch for
                        // it: true changes nothing, false cannot be honoured.
                        if (value.ValueKind != JsonValueKind.True)
                        {
                            v.Add(new("parallel_tool_calls", "only true (the default) is supported"));
                        }

                        break;
                    case "response_format":
                        request.ResponseFormat = ReadResponseFormat(value, v);
                        break;
                    case "metadata":
                        ReadMetadata(value, request.Metadata, v);
                        break;
                    case "n":
                        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n) || n != 1)
                        {
                            v.Add(new("n", "only 1 choice per request is supported"));
                        }

                        break;
                    case "stream":
                        stream = Bool(value, "stream", v);
                        break;
                    case "stream_options":
                        includeUsage = ReadStreamOptions(value, v);
                        break;
                    default:
                        Unsupported(string.Empty, field.Name, v);
                        break;
                }
            }

            if (!stream && includeUsage)
            {
                v.Add(new("stream_options", "is only allowed with stream: true"));
            }

            if (v.Count > 0)
            {
                throw Invalid(v);
            }

            return new OpenAIChatRequest(request, stream, includeUsage);
        }
    }

    private static void ReadMessages(JsonElement value, RepeatedField<Message> messages, List<FieldViolation> v)
    {
        foreach (var (path, item) in Objects(value, "messages", v))
        {
            var message = new Message();
            foreach (var field in Present(item.EnumerateObject()))
            {
                var fieldValue = field.Value;
                switch (field.Name)
                {
                    case "role":
                        message.Role = ReadRole(fieldValue, $"{path}.role", v);
                        break;
                    case "content":
                        message.Content = ReadContent(fieldValue, $"{path}.content", v);
                        break;
                    case var name when MessageTextFields.TryGetValue(name, out var set):
                        set(message, Text(fieldValue, $"{path}.{name}", v));
                        break;
                    case "tool_calls":
                        ReadToolCalls(fieldValue, $"{path}.tool_calls", message.ToolCalls, v);
                        break;
                    case "refusal" when fieldValue.ValueKind == JsonValueKind.String && fieldValue.GetString()!.Length == 0:
                        // An SDK echoing an earlier assistant answer may carry an empty refusal: nothing to keep.
                        break;
                    default:
                        Unsupported(path, field.Name, v);
                        break;
                }
            }

            if (message.Role == Role.Unspecified && !item.TryGetProperty("role", out _))
            {
                v.Add(new($"{path}.role", "is required"));
            }

            messages.Add(message);
        }
    }

    private static Role ReadRole(JsonElement value, string path, List<FieldViolation> v)
    {
        switch (value.ValueKind == JsonValueKind.String ? value.GetString() : null)
        {
            case "system": return Role.System;
            case "user": return Role.User;
            case "assistant": return Role.Assistant;
            case "tool": return Role.Tool;
            case "developer": return Role.Developer;
            default:
                v.Add(new(path, "must be one of system, user, assistant, tool, developer"));
                return Role.Unspecified;
        }
    }

    /// <summary>A string, or an array of text parts, joined as they come (the parts of one message are one text).</summary>
    private static string ReadContent(JsonElement value, string path, List<FieldViolation> v)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString()!;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            v.Add(new(path, "must be a string or an array of text parts"));
            return string.Empty;
        }

        var text = new System.Text.StringBuilder();
        var j = 0;
        foreach (var part in value.EnumerateArray())
        {
            var partPath = $"{path}[{j++}]";
            if (part.ValueKind != JsonValueKind.Object
                || !part.TryGetProperty("type", out var type)
                || type.ValueKind != JsonValueKind.String)
            {
                v.Add(new(partPath, "must be an object with a type"));
                continue;
            }

            if (type.GetString() != "text")
            {
                v.Add(new($"{partPath}.type", $"'{Clip(type.GetString()!)}' parts are not supported; only text"));
                continue;
            }

            foreach (var field in part.EnumerateObject())
            {
                if (field.Name is not ("type" or "text"))
                {
                    Unsupported(partPath, field.Name, v);
                }
            }

            if (part.TryGetProperty("text", out var partText) && partText.ValueKind == JsonValueKind.String)
            {
                text.Append(partText.GetString());
            }
            else
            {
                v.Add(new($"{partPath}.text", "must be a string"));
            }
        }

        return text.ToString();
    }

    private static void ReadToolCalls(JsonElement value, string path, RepeatedField<ToolCall> calls, List<FieldViolation> v)
    {
        foreach (var (callPath, item) in Objects(value, path, v))
        {
            var call = new ToolCall();
            foreach (var field in item.EnumerateObject())
            {
                switch (field.Name)
                {
                    case "id":
                        call.Id = Text(field.Value, $"{callPath}.id", v);
                        break;
                    case "type":
                        ExpectFunctionType(field.Value, $"{callPath}.type", v);
                        break;
                    case "function":
                        ReadFunctionCall(field.Value, $"{callPath}.function", call, v);
                        break;
                    default:
                        Unsupported(callPath, field.Name, v);
                        break;
                }
            }

            calls.Add(call);
        }
    }

    private static void ReadFunctionCall(JsonElement value, string path, ToolCall call, List<FieldViolation> v)
    {
        // Both fields are strings, so one read serves either.
        foreach (var field in Fields(value, path, v))
        {
            if (field.Name is not ("name" or "arguments"))
            {
                Unsupported(path, field.Name, v);
                continue;
            }

            var text = Text(field.Value, $"{path}.{field.Name}", v);
            if (field.Name == "name")
            {
                call.Name = text;
            }
            else
            {
                call.ArgumentsJson = text;
            }
        }
    }

    private static void ReadTools(JsonElement value, RepeatedField<Tool> tools, List<FieldViolation> v)
    {
        foreach (var (path, item) in Objects(value, "tools", v))
        {
            var tool = new Tool();
            var sawFunction = false;
            foreach (var field in item.EnumerateObject())
            {
                switch (field.Name)
                {
                    case "type":
                        ExpectFunctionType(field.Value, $"{path}.type", v);
                        break;
                    case "function":
                        sawFunction = true;
                        ReadFunction(field.Value, $"{path}.function", tool, v);
                        break;
                    default:
                        Unsupported(path, field.Name, v);
                        break;
                }
            }

            if (!sawFunction)
            {
                v.Add(new($"{path}.function", "is required"));
            }

            tools.Add(tool);
        }
    }

    private static void ReadFunction(JsonElement value, string path, Tool tool, List<FieldViolation> v)
    {
        foreach (var field in Present(Fields(value, path, v)))
        {
            switch (field.Name)
            {
                case "name":
                    tool.Name = Text(field.Value, $"{path}.name", v);
                    break;
                case "description":
                    tool.Description = Text(field.Value, $"{path}.description", v);
                    break;
                case "parameters":
                    if (field.Value.ValueKind == JsonValueKind.Object)
                    {
                        tool.ParametersJsonSchema = field.Value.GetRawText();
                    }
                    else
                    {
                        v.Add(new($"{path}.parameters", "must be a JSON Schema object"));
                    }

                    break;
                case "strict":
                    // Strict function calling needs a switch our contract does not have yet.
                    if (field.Value.ValueKind != JsonValueKind.False)
                    {
                        v.Add(new($"{path}.strict", "only false is supported"));
                    }

                    break;
                default:
                    Unsupported(path, field.Name, v);
                    break;
            }
        }
    }

    private static ToolChoice? ReadToolChoice(JsonElement value, List<FieldViolation> v)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            switch (value.GetString())
            {
                case "auto": return new ToolChoice { Mode = ToolChoiceMode.Auto };
                case "none": return new ToolChoice { Mode = ToolChoiceMode.None };
                case "required": return new ToolChoice { Mode = ToolChoiceMode.Required };
            }
        }
        else if (value.ValueKind == JsonValueKind.Object
                 && value.TryGetProperty("function", out var function)
                 && function.ValueKind == JsonValueKind.Object
                 && function.TryGetProperty("name", out var name)
                 && name.ValueKind == JsonValueKind.String)
        {
            return new ToolChoice { FunctionName = name.GetString()! };
        }

        v.Add(new("tool_choice", "must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": …}}"));
        return null;
    }

    private static ResponseFormat? ReadResponseFormat(JsonElement value, List<FieldViolation> v)
    {
        if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            v.Add(new("response_format", "must be an object with a type"));
            return null;
        }

        switch (type.GetString())
        {
            case "text":
                return new ResponseFormat { Type = ResponseFormatType.Text };
            case "json_object":
                return new ResponseFormat { Type = ResponseFormatType.JsonObject };
            case "json_schema":
                break;
            default:
                v.Add(new("response_format.type", "must be text, json_object or json_schema"));
                return null;
        }

        var format = new ResponseFormat { Type = ResponseFormatType.JsonSchema };
        if (!value.TryGetProperty("json_schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
        {
            v.Add(new("response_format.json_schema", "is required with type json_schema"));
            return format;
        }

        foreach (var field in Present(schema.EnumerateObject()))
        {
            var path = $"response_format.json_schema.{Clip(field.Name)}";
            switch (field.Name)
            {
                case "name":
                    format.JsonSchemaName = Text(field.Value, path, v);
                    break;
                case "description":
                    format.JsonSchemaDescription = Text(field.Value, path, v);
                    break;
                case "schema":
                    if (field.Value.ValueKind == JsonValueKind.Object)
                    {
                        format.JsonSchema = field.Value.GetRawText();
                    }
                    else
                    {
                        v.Add(new(path, "must be a JSON Schema object"));
                    }

                    break;
                case "strict":
                    format.JsonSchemaStrict = Bool(field.Value, path, v);
                    break;
                default:
                    Unsupported("response_format.json_schema", field.Name, v);
                    break;
            }
        }

        return format;
    }

    private static void ReadStop(JsonElement value, RepeatedField<string> stop, List<FieldViolation> v)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            stop.Add(value.GetString()!);
            return;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            v.Add(new("stop", "must be a string or an array of strings"));
            return;
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (String(item, $"stop[{i++}]", v) is { } sequence)
            {
                stop.Add(sequence);
            }
        }
    }

    private static void ReadMetadata(JsonElement value, MapField<string, string> metadata, List<FieldViolation> v)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            v.Add(new("metadata", "must be an object of strings"));
            return;
        }

        foreach (var field in value.EnumerateObject())
        {
            if (field.Value.ValueKind == JsonValueKind.String)
            {
                metadata[field.Name] = field.Value.GetString()!;
            }
            else
            {
                v.Add(new("metadata", "values must be strings"));
            }
        }
    }

    private static bool ReadStreamOptions(JsonElement value, List<FieldViolation> v)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            v.Add(new("stream_options", "must be an object"));
            return false;
        }

        var includeUsage = false;
        foreach (var field in value.EnumerateObject())
        {
            if (field.Name == "include_usage")
            {
                includeUsage = field.Value.ValueKind != JsonValueKind.Null && Bool(field.Value, "stream_options.include_usage", v);
            }
            else
            {
                Unsupported("stream_options", field.Name, v);
            }
        }

        return includeUsage;
    }

    /// <summary>
    /// The elements of the array at <paramref name="path"/>, each with its own path (<c>path[i]</c>), for the
    /// readers of arrays of objects: a value that is not an array, or an element that is not an object, is a
    /// violation and yields nothing.
    /// </summary>
    private static IEnumerable<(string Path, JsonElement Item)> Objects(JsonElement value, string path, List<FieldViolation> v)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            v.Add(new(path, "must be an array"));
            yield break;
        }

        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = $"{path}[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                v.Add(new(itemPath, "must be an object"));
                continue;
            }

            yield return (itemPath, item);
        }
    }

    private static void ExpectFunctionType(JsonElement value, string path, List<FieldViolation> v)
    {
        if (value.ValueKind != JsonValueKind.String || value.GetString() != "function")
        {
            v.Add(new(path, "must be \"function\""));
        }
    }

    /// <summary>A string field's text; empty, with the violation noted, when it is not a string.</summary>
    private static string Text(JsonElement value, string path, List<FieldViolation> v) => String(value, path, v) ?? string.Empty;

    /// <summary>Notes a field the contract has no place for: refused rather than dropped, so nothing a caller asked for is lost silently.</summary>
    private static void Unsupported(string parentPath, string name, List<FieldViolation> v) =>
        v.Add(new(parentPath.Length == 0 ? Clip(name) : $"{parentPath}.{Clip(name)}", "is not supported by the sidecar"));

    private static string? String(JsonElement value, string path, List<FieldViolation> v)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        v.Add(new(path, "must be a string"));
        return null;
    }

    /// <summary>The fields that hold a value: OpenAI's SDKs send <c>null</c> for an unset field, which
    /// means the same as leaving it out.</summary>
    private static IEnumerable<JsonProperty> Present(IEnumerable<JsonProperty> fields)
    {
        foreach (var field in fields)
        {
            if (field.Value.ValueKind != JsonValueKind.Null)
            {
                yield return field;
            }
        }
    }

    /// <summary>The properties of an object; anything else adds one violation and yields none.</summary>
    private static IEnumerable<JsonProperty> Fields(JsonElement value, string path, List<FieldViolation> v)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            v.Add(new(path, "must be an object"));
            return [];
        }

        return value.EnumerateObject();
    }

    /// <summary>Sets an optional proto number only when the field holds one, so an absent or wrong one
    /// leaves the field unset (proto presence) and adds its violation.</summary>
    private static void Number(JsonElement value, string path, List<FieldViolation> v, Action<double> set)
    {
        if (Number(value, path, v) is { } number)
        {
            set(number);
        }
    }

    private static double? Number(JsonElement value, string path, List<FieldViolation> v)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number))
        {
            return number;
        }

        v.Add(new(path, "must be a number"));
        return null;
    }

    private static int? Int32(JsonElement value, string path, List<FieldViolation> v)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number))
        {
            return number;
        }

        v.Add(new(path, "must be an integer"));
        return null;
    }

    private static bool Bool(JsonElement value, string path, List<FieldViolation> v)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            default:
                v.Add(new(path, "must be true or false"));
                return false;
        }
    }

    /// <summary>A caller's string quoted back in an error stays short (logs and responses are bounded).</summary>
    private static string Clip(string value) => value.Length <= 64 ? value : value[..64] + "…";

    private static SidecarException Invalid(List<FieldViolation> violations)
    {
        var total = violations.Count;

        // A body of thousands of unknown fields must not become a response (or a log line) as large.
        if (violations.Count > MaxViolations)
        {
            violations = violations[..MaxViolations];
        }

        return SidecarErrors.InvalidRequest(violations, total);
    }
}
