using System.Text.Json;
using System.Text.RegularExpressions;
using Sidecar.Configuration;
using Sidecar.Errors;
using Sidecar.Keys;
using Sidecar.V1;

namespace Sidecar.Api;

/// <summary>
/// Checks a request before anything else happens, and reports every bad field at once with its path
/// (<c>messages[3].role</c>), so a caller can fix a request in one round trip.
/// </summary>
internal sealed partial class RequestValidator(LiveOptions options)
{
    private const int MaxModelLength = 256;
    private const int MaxStopSequences = 4;
    private const int MaxMetadataPairs = 16;
    private const int MaxMetadataKeyLength = 64;
    private const int MaxMetadataValueLength = 512;

    private LimitsOptions Limits => options.Current.Limits;

    /// <summary>Throws <see cref="SidecarException"/> with <see cref="SidecarError.InvalidRequest"/> when the request is malformed.</summary>
    public void Validate(CompleteRequest request)
    {
        // Size first: a request over the limit is not worth walking, and no one field is to blame.
        var size = request.CalculateSize();
        if (size > Limits.MaxRequestBytes)
        {
            throw SidecarErrors.InvalidRequest($"it is {size} bytes; the limit is {Limits.MaxRequestBytes} (Sidecar:Limits:MaxRequestBytes).");
        }

        var violations = Check(request);
        if (violations.Count > 0)
        {
            throw SidecarErrors.InvalidRequest(violations);
        }
    }

    internal List<FieldViolation> Check(CompleteRequest request)
    {
        var v = new List<FieldViolation>();

        if (request.KeyRef.Length == 0)
        {
            v.Add(new("key_ref", "is required"));
        }
        else if (!KeyRefName.IsValid(request.KeyRef))
        {
            v.Add(new("key_ref", $"must match {KeyRefName.Pattern}"));
        }

        if (string.IsNullOrWhiteSpace(request.Model))
        {
            v.Add(new("model", "is required"));
        }
        else if (request.Model.Length > MaxModelLength)
        {
            v.Add(new("model", $"must be at most {MaxModelLength} characters"));
        }

        CheckMessages(request, v);
        CheckSampling(request, v);
        CheckTools(request, v);
        CheckResponseFormat(request, v);
        CheckMetadata(request, v);
        return v;
    }

    private void CheckMessages(CompleteRequest request, List<FieldViolation> v)
    {
        if (request.Messages.Count == 0)
        {
            v.Add(new("messages", "at least one message is required"));
            return;
        }

        if (request.Messages.Count > Limits.MaxMessages)
        {
            v.Add(new("messages", $"{request.Messages.Count} messages; the limit is {Limits.MaxMessages}"));
            return;
        }

        for (var i = 0; i < request.Messages.Count; i++)
        {
            var message = request.Messages[i];
            var path = $"messages[{i}]";
            if (message.Role == Role.Unspecified)
            {
                v.Add(new($"{path}.role", "must be set (ROLE_SYSTEM, ROLE_USER, ROLE_ASSISTANT, ROLE_TOOL or ROLE_DEVELOPER)"));
            }
            else if (!Enum.IsDefined(message.Role))
            {
                v.Add(new($"{path}.role", $"unknown role {(int)message.Role}"));
            }

            if (message.Role == Role.Tool && message.ToolCallId.Length == 0)
            {
                v.Add(new($"{path}.tool_call_id", "is required for ROLE_TOOL"));
            }

            if (message.Role != Role.Tool && message.ToolCallId.Length > 0)
            {
                v.Add(new($"{path}.tool_call_id", "is only allowed for ROLE_TOOL"));
            }

            if (message.ToolCalls.Count > 0 && message.Role != Role.Assistant)
            {
                v.Add(new($"{path}.tool_calls", "are only allowed for ROLE_ASSISTANT"));
            }

            if (message.Role == Role.Assistant && message.Content.Length == 0 && message.ToolCalls.Count == 0)
            {
                v.Add(new($"{path}.content", "an assistant message needs content or tool_calls"));
            }

            for (var j = 0; j < message.ToolCalls.Count; j++)
            {
                var call = message.ToolCalls[j];
                var callPath = $"{path}.tool_calls[{j}]";
                if (call.Id.Length == 0)
                {
                    v.Add(new($"{callPath}.id", "is required"));
                }

                if (!ToolName().IsMatch(call.Name))
                {
                    v.Add(new($"{callPath}.name", "must match [A-Za-z0-9_-]{1,64}"));
                }

                CheckJson(call.ArgumentsJson, $"{callPath}.arguments_json", requireObject: false, v);
            }
        }
    }

    private static void CheckSampling(CompleteRequest request, List<FieldViolation> v)
    {
        if (request.HasTemperature && !InRange(request.Temperature, 0, 2))
        {
            v.Add(new("temperature", "must be between 0 and 2"));
        }

        if (request.HasTopP && !InRange(request.TopP, 0, 1))
        {
            v.Add(new("top_p", "must be between 0 and 1"));
        }

        if (request.HasMaxTokens && request.MaxTokens <= 0)
        {
            v.Add(new("max_tokens", "must be greater than 0"));
        }

        if (request.HasPresencePenalty && !InRange(request.PresencePenalty, -2, 2))
        {
            v.Add(new("presence_penalty", "must be between -2 and 2"));
        }

        if (request.HasFrequencyPenalty && !InRange(request.FrequencyPenalty, -2, 2))
        {
            v.Add(new("frequency_penalty", "must be between -2 and 2"));
        }

        if (request.Stop.Count > MaxStopSequences)
        {
            v.Add(new("stop", $"at most {MaxStopSequences} sequences"));
        }

        for (var i = 0; i < request.Stop.Count; i++)
        {
            if (request.Stop[i].Length == 0)
            {
                v.Add(new($"stop[{i}]", "must not be empty"));
            }
        }
    }

    private void CheckTools(CompleteRequest request, List<FieldViolation> v)
    {
        if (request.Tools.Count > Limits.MaxTools)
        {
            v.Add(new("tools", $"{request.Tools.Count} tools; the limit is {Limits.MaxTools}"));
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < request.Tools.Count; i++)
        {
            var tool = request.Tools[i];
            if (!ToolName().IsMatch(tool.Name))
            {
                v.Add(new($"tools[{i}].name", "must match [A-Za-z0-9_-]{1,64}"));
            }
            else if (!names.Add(tool.Name))
            {
                v.Add(new($"tools[{i}].name", $"'{tool.Name}' is given twice"));
            }

            CheckJson(tool.ParametersJsonSchema, $"tools[{i}].parameters_json_schema", requireObject: true, v);
        }

        if (request.ToolChoice is { } choice)
        {
            switch (choice.ChoiceCase)
            {
                case ToolChoice.ChoiceOneofCase.FunctionName when !names.Contains(choice.FunctionName):
                    v.Add(new("tool_choice.function_name", "must name one of the request's tools"));
                    break;
                case ToolChoice.ChoiceOneofCase.Mode when !Enum.IsDefined(choice.Mode):
                    v.Add(new("tool_choice.mode", $"unknown mode {(int)choice.Mode}"));
                    break;
                case ToolChoice.ChoiceOneofCase.Mode when choice.Mode == ToolChoiceMode.Required && request.Tools.Count == 0:
                    v.Add(new("tool_choice.mode", "TOOL_CHOICE_MODE_REQUIRED needs at least one tool"));
                    break;
            }
        }
    }

    private void CheckResponseFormat(CompleteRequest request, List<FieldViolation> v)
    {
        if (request.ResponseFormat is not { } format)
        {
            return;
        }

        if (!Enum.IsDefined(format.Type))
        {
            v.Add(new("response_format.type", $"unknown type {(int)format.Type}"));
            return;
        }

        if (format.Type != ResponseFormatType.JsonSchema)
        {
            return;
        }

        if (!ToolName().IsMatch(format.JsonSchemaName))
        {
            v.Add(new("response_format.json_schema_name", "is required with RESPONSE_FORMAT_TYPE_JSON_SCHEMA and must match [A-Za-z0-9_-]{1,64}"));
        }

        if (format.JsonSchema.Length == 0)
        {
            v.Add(new("response_format.json_schema", "is required with RESPONSE_FORMAT_TYPE_JSON_SCHEMA"));
        }
        else
        {
            CheckJson(format.JsonSchema, "response_format.json_schema", requireObject: true, v);
        }
    }

    private static void CheckMetadata(CompleteRequest request, List<FieldViolation> v)
    {
        if (request.Metadata.Count > MaxMetadataPairs)
        {
            v.Add(new("metadata", $"at most {MaxMetadataPairs} pairs"));
            return;
        }

        foreach (var (key, value) in request.Metadata)
        {
            if (key.Length is 0 or > MaxMetadataKeyLength)
            {
                v.Add(new("metadata", $"keys must be 1 to {MaxMetadataKeyLength} characters"));
            }

            if (value.Length > MaxMetadataValueLength)
            {
                v.Add(new($"metadata[{key}]", $"values must be at most {MaxMetadataValueLength} characters"));
            }
        }
    }

    private void CheckJson(string json, string field, bool requireObject, List<FieldViolation> v)
    {
        if (json.Length == 0)
        {
            return;
        }

        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = Limits.MaxJsonDepth });
            if (requireObject && doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                v.Add(new(field, "must be a JSON object"));
            }
        }
        catch (JsonException ex)
        {
            // JsonException's message names positions, never content.
            v.Add(new(field, $"is not valid JSON (at most {Limits.MaxJsonDepth} levels deep): {ex.Message}"));
        }
    }

    private static bool InRange(double value, double min, double max) => value >= min && value <= max;

    // \z, not $: $ also matches before a final newline, so "weather\n" passed.
    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ToolName();
}
