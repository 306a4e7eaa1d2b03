using Sidecar.Api;
using Sidecar.V1;

namespace Sidecar.Tests.Api;

public sealed class RequestValidatorTests
{
    private readonly RequestValidator _validator = new(TestOptions.Live(TestOptions.Create(o =>
    {
        o.Limits.MaxMessages = 5;
        o.Limits.MaxRequestBytes = 4096;
        o.Limits.MaxJsonDepth = 8;
    })));

    private static CompleteRequest Valid() => new()
    {
        KeyRef = "team-a",
        Model = "gpt-4o-mini",
        Messages = { new Message { Role = Role.User, Content = "hi" } },
    };

    private string[] Fields(CompleteRequest request) => _validator.Check(request).Select(v => v.Field).ToArray();

    [Fact]
    public void Check_ValidRequest_HasNoViolations() => Assert.Empty(Fields(Valid()));

    [Fact]
    public void Validate_BadRequest_ThrowsInvalidRequestWithEveryViolation()
    {
        var request = Valid();
        request.Model = "";
        request.Messages[0].Role = Role.Unspecified;

        var error = Assert.Throws<SidecarException>(() => _validator.Validate(request));

        Assert.Equal(SidecarError.InvalidRequest, error.Error);
        Assert.Equal(["model", "messages[0].role"], error.Violations.Select(v => v.Field));
    }

    [Theory]
    [InlineData("", "key_ref")]
    [InlineData("../x", "key_ref")]
    [InlineData(".x", "key_ref")]
    public void Check_BadKeyRef_NamesKeyRef(string keyRef, string field)
    {
        var request = Valid();
        request.KeyRef = keyRef;
        Assert.Equal([field], Fields(request));
    }

    [Fact]
    public void Check_NoMessages_NamesMessages()
    {
        var request = Valid();
        request.Messages.Clear();
        Assert.Equal(["messages"], Fields(request));
    }

    [Fact]
    public void Check_TooManyMessages_NamesMessages()
    {
        var request = Valid();
        for (var i = 0; i < 5; i++)
        {
            request.Messages.Add(new Message { Role = Role.User, Content = "more" });
        }

        Assert.Equal(["messages"], Fields(request));
    }

    [Fact]
    public void Check_OverMaxRequestBytes_IsRefusedBeforeAnythingElse()
    {
        var request = Valid();
        request.Messages[0].Content = new string('x', 5000);
        request.Messages[0].Role = Role.Unspecified;

        var error = Assert.Throws<SidecarException>(() => _validator.Validate(request));

        Assert.Equal(SidecarError.InvalidRequest, error.Error);
        Assert.Contains("4096", error.Message);
        Assert.Empty(error.Violations);
    }

    [Fact]
    public void Check_UnknownRoleValue_NamesTheRole()
    {
        var request = Valid();
        request.Messages.Add(new Message { Role = (Role)42, Content = "?" });
        Assert.Equal(["messages[1].role"], Fields(request));
    }

    [Fact]
    public void Check_ToolMessageWithoutCallId_NamesToolCallId()
    {
        var request = Valid();
        request.Messages.Add(new Message { Role = Role.Tool, Content = "result" });
        Assert.Equal(["messages[1].tool_call_id"], Fields(request));
    }

    [Fact]
    public void Check_ToolCallsOnAUserMessage_AreRefused()
    {
        var request = Valid();
        request.Messages[0].ToolCalls.Add(new ToolCall { Id = "c", Name = "f", ArgumentsJson = "{}" });
        Assert.Equal(["messages[0].tool_calls"], Fields(request));
    }

    [Fact]
    public void Check_AssistantToolCallWithBadArguments_NamesThePath()
    {
        var request = Valid();
        request.Messages.Add(new Message { Role = Role.Assistant, ToolCalls = { new ToolCall { Id = "c1", Name = "f", ArgumentsJson = "{not json" } } });
        Assert.Equal(["messages[1].tool_calls[0].arguments_json"], Fields(request));
    }

    [Fact]
    public void Check_EmptyAssistantMessage_IsRefused()
    {
        var request = Valid();
        request.Messages.Add(new Message { Role = Role.Assistant });
        Assert.Equal(["messages[1].content"], Fields(request));
    }

    [Theory]
    [InlineData("temperature")]
    [InlineData("top_p")]
    [InlineData("max_tokens")]
    [InlineData("presence_penalty")]
    [InlineData("frequency_penalty")]
    public void Check_SamplingOutOfRange_NamesTheField(string field)
    {
        var request = Valid();
        switch (field)
        {
            case "temperature": request.Temperature = 2.5; break;
            case "top_p": request.TopP = -0.1; break;
            case "max_tokens": request.MaxTokens = 0; break;
            case "presence_penalty": request.PresencePenalty = 3; break;
            case "frequency_penalty": request.FrequencyPenalty = -3; break;
        }

        Assert.Equal([field], Fields(request));
    }

    [Fact]
    public void Check_FiveStopSequences_AreTooMany()
    {
        var request = Valid();
        request.Stop.Add(["a", "b", "c", "d", "e"]);
        Assert.Equal(["stop"], Fields(request));
    }

    [Fact]
    public void Check_ToolSchemaNotJson_NamesTheSchema()
    {
        var request = Valid();
        request.Tools.Add(new Tool { Name = "get_weather", ParametersJsonSchema = "{\"type\":" });
        Assert.Equal(["tools[0].parameters_json_schema"], Fields(request));
    }

    [Fact]
    public void Check_ToolSchemaNotAnObject_IsRefused()
    {
        var request = Valid();
        request.Tools.Add(new Tool { Name = "f", ParametersJsonSchema = "[1,2]" });
        Assert.Equal(["tools[0].parameters_json_schema"], Fields(request));
    }

    [Fact]
    public void Check_DeeplyNestedSchema_IsRefused()
    {
        var request = Valid();
        var nested = string.Concat(Enumerable.Repeat("{\"a\":", 50)) + "1" + new string('}', 50);
        request.Tools.Add(new Tool { Name = "f", ParametersJsonSchema = nested });
        Assert.Equal(["tools[0].parameters_json_schema"], Fields(request));
    }

    [Fact]
    public void Check_BadAndDuplicateToolNames_AreRefused()
    {
        var request = Valid();
        request.Tools.Add(new Tool { Name = "has space" });
        request.Tools.Add(new Tool { Name = "f" });
        request.Tools.Add(new Tool { Name = "f" });
        Assert.Equal(["tools[0].name", "tools[2].name"], Fields(request));
    }

    [Fact]
    public void Check_ToolChoiceNamingAnUnknownTool_IsRefused()
    {
        var request = Valid();
        request.Tools.Add(new Tool { Name = "f" });
        request.ToolChoice = new ToolChoice { FunctionName = "g" };
        Assert.Equal(["tool_choice.function_name"], Fields(request));
    }

    [Fact]
    public void Check_RequiredToolChoiceWithoutTools_IsRefused()
    {
        var request = Valid();
        request.ToolChoice = new ToolChoice { Mode = ToolChoiceMode.Required };
        Assert.Equal(["tool_choice.mode"], Fields(request));
    }

    [Fact]
    public void Check_JsonSchemaFormatWithoutNameOrSchema_NamesBoth()
    {
        var request = Valid();
        request.ResponseFormat = new ResponseFormat { Type = ResponseFormatType.JsonSchema };
        Assert.Equal(["response_format.json_schema_name", "response_format.json_schema"], Fields(request));
    }

    [Fact]
    public void Check_TooMuchMetadata_IsRefused()
    {
        var request = Valid();
        for (var i = 0; i < 17; i++)
        {
            request.Metadata[$"k{i}"] = "v";
        }

        Assert.Equal(["metadata"], Fields(request));
    }
}
