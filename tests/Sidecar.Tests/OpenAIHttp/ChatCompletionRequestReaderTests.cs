using System.Text;
using Sidecar.OpenAIHttp;
using Sidecar.V1;

namespace Sidecar.Tests.OpenAIHttp;

public sealed class ChatCompletionRequestReaderTests
{
    private static OpenAIChatRequest Read(string json) => ChatCompletionRequestReader.Read(Encoding.UTF8.GetBytes(json), "team-a", maxJsonDepth: 32);

    private static string[] Refused(string json) =>
        Assert.Throws<SidecarException>(() => Read(json)).Violations.Select(v => v.Field).ToArray();

    [Fact]
    public void Read_FullRequest_MapsEveryField()
    {
        var chat = Read("""
            {"model":"gpt-4o","temperature":0.5,"top_p":0.9,"max_tokens":50,"seed":3,"presence_penalty":1,"frequency_penalty":-1,
             "stop":["a","b"],"user":"u","metadata":{"k":"v"},"tool_choice":{"type":"function","function":{"name":"f"}},
             "tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}}],
             "response_format":{"type":"json_schema","json_schema":{"name":"s","description":"sd","schema":{"type":"object"},"strict":true}},
             "messages":[{"role":"developer","content":"rules"},{"role":"user","name":"ann","content":"q"},
               {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
               {"role":"tool","tool_call_id":"c1","content":"42"}]}
            """);

        var r = chat.Request;
        Assert.Equal("team-a", r.KeyRef);
        Assert.Equal("gpt-4o", r.Model);
        Assert.Equal((0.5, 0.9, 50, 3L, 1.0, -1.0), (r.Temperature, r.TopP, r.MaxTokens, r.Seed, r.PresencePenalty, r.FrequencyPenalty));
        Assert.Equal(["a", "b"], r.Stop);
        Assert.Equal("u", r.User);
        Assert.Equal("v", r.Metadata["k"]);
        Assert.Equal("f", r.ToolChoice.FunctionName);
        Assert.Equal(("f", "d", """{"type":"object"}"""), (r.Tools[0].Name, r.Tools[0].Description, r.Tools[0].ParametersJsonSchema));
        Assert.Equal((ResponseFormatType.JsonSchema, "s", "sd", """{"type":"object"}""", true), (r.ResponseFormat.Type, r.ResponseFormat.JsonSchemaName, r.ResponseFormat.JsonSchemaDescription, r.ResponseFormat.JsonSchema, r.ResponseFormat.JsonSchemaStrict));
        Assert.Equal([Role.Developer, Role.User, Role.Assistant, Role.Tool], r.Messages.Select(m => m.Role));
        Assert.Equal("ann", r.Messages[1].Name);
        Assert.Equal(("c1", "f", "{}"), (r.Messages[2].ToolCalls[0].Id, r.Messages[2].ToolCalls[0].Name, r.Messages[2].ToolCalls[0].ArgumentsJson));
        Assert.Equal(("c1", "42"), (r.Messages[3].ToolCallId, r.Messages[3].Content));
        Assert.False(chat.Stream);
    }

    [Fact]
    public void Read_NullFields_CountAsAbsent()
    {
        var r = Read("""{"model":"m","temperature":null,"tools":null,"stop":null,"messages":[{"role":"user","content":"hi","name":null}]}""").Request;

        Assert.False(r.HasTemperature);
        Assert.Empty(r.Tools);
        Assert.Empty(r.Stop);
        Assert.Equal(string.Empty, r.Messages[0].Name);
    }

    [Fact]
    public void Read_StopAsString_IsOneSequence() => Assert.Equal(["END"], Read("""{"model":"m","stop":"END","messages":[]}""").Request.Stop);

    [Fact]
    public void Read_MaxCompletionTokens_MapsToMaxTokens() =>
        Assert.Equal(7, Read("""{"model":"m","max_completion_tokens":7,"messages":[]}""").Request.MaxTokens);

    [Fact]
    public void Read_MaxTokensAndMaxCompletionTokensDisagree_IsRefused() =>
        Assert.Equal(["max_completion_tokens"], Refused("""{"model":"m","max_tokens":5,"max_completion_tokens":7,"messages":[]}"""));

    [Fact]
    public void Read_StreamWithIncludeUsage_IsHonoured()
    {
        var chat = Read("""{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}""");

        Assert.True(chat.Stream);
        Assert.True(chat.IncludeUsage);
    }

    [Fact]
    public void Read_EveryBadField_IsNamedAtOnce() => Assert.Equal(
        ["logprobs", "messages[0].role", "messages[0].audio", "tools[0].function.strict", "parallel_tool_calls"],
        Refused("""{"model":"m","logprobs":true,"messages":[{"role":"function","audio":{}}],"tools":[{"type":"function","function":{"name":"f","strict":true}}],"parallel_tool_calls":false}"""));

    [Fact]
    public void Read_ThousandsOfUnknownFields_ReportsABoundedNumber()
    {
        var json = "{" + string.Join(",", Enumerable.Range(0, 5000).Select(i => $"\"x{i}\":1")) + ",\"model\":\"m\",\"messages\":[]}";

        var error = Assert.Throws<SidecarException>(() => Read(json));

        Assert.Equal(64, error.Violations.Count);
        Assert.Contains("(and 4999 more)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_LongUnknownFieldName_IsClippedInTheViolation()
    {
        var name = new string('a', 10_000);

        var field = Assert.Single(Refused($$"""{"{{name}}":1,"model":"m","messages":[]}"""));

        Assert.True(field.Length < 100);
    }

    [Fact]
    public void Param_ValidatorFieldNames_AreTranslatedToOpenAIs()
    {
        static string? Param(string field) => OpenAIHttpResponse.Param(new SidecarException(SidecarError.InvalidRequest, "x", violations: [new(field, "bad")]));

        Assert.Equal("tools[2].function.parameters", Param("tools[2].parameters_json_schema"));
        Assert.Equal("tools[0].function.name", Param("tools[0].name"));
        Assert.Equal("messages[1].tool_calls[0].function.arguments", Param("messages[1].tool_calls[0].arguments_json"));
        Assert.Equal("response_format.json_schema.name", Param("response_format.json_schema_name"));
        Assert.Equal("tool_choice.function.name", Param("tool_choice.function_name"));
        Assert.Null(Param("key_ref"));
        Assert.Equal("temperature", Param("temperature"));
    }
}
