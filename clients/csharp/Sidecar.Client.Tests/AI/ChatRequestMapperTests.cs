using System.Text.Json;
using Microsoft.Extensions.AI;
using Sidecar.Client.AI;
using Sidecar.V1;

namespace Sidecar.Client.Tests.AI;

public sealed class ChatRequestMapperTests
{
    private static readonly IChatClient Client = new NoChatClient();

    private static CompleteRequest Map(ChatOptions? options, params ChatMessage[] messages) =>
        ChatRequestMapper.ToRequest(Client, messages.Length == 0 ? [new ChatMessage(ChatRole.User, "hi")] : messages, options);

    [Fact]
    public void ToRequest_EveryChatOption_MapsOntoTheRequest()
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"n":{"type":"integer"}}}""").RootElement;
        var options = new ChatOptions
        {
            ModelId = "gpt-x",
            Temperature = 0.5f,
            TopP = 0.25f,
            MaxOutputTokens = 42,
            StopSequences = ["END", "STOP"],
            Seed = 7,
            PresencePenalty = 0.5f,
            FrequencyPenalty = -0.5f,
            Tools = [AIFunctionFactory.Create((string city) => city, "get_weather", "The weather of a city")],
            ToolMode = ChatToolMode.RequireSpecific("get_weather"),
            ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "numbers", "a number"),
            AdditionalProperties = new AdditionalPropertiesDictionary
            {
                [SidecarChatOptionKeys.KeyRef] = "team-b",
                [SidecarChatOptionKeys.User] = "user-1",
                [SidecarChatOptionKeys.Metadata] = new Dictionary<string, string> { ["team"] = "b" },
                [SidecarChatOptionKeys.JsonSchemaStrict] = true,
                ["other_client_setting"] = 1, // another client's: ignored
            },
        };

        var request = Map(options);

        Assert.Equal("team-b", request.KeyRef);
        Assert.Equal("gpt-x", request.Model);
        Assert.Equal(0.5, request.Temperature);
        Assert.Equal(0.25, request.TopP);
        Assert.Equal(42, request.MaxTokens);
        Assert.Equal(["END", "STOP"], request.Stop);
        Assert.Equal(7, request.Seed);
        Assert.Equal(0.5, request.PresencePenalty);
        Assert.Equal(-0.5, request.FrequencyPenalty);
        var tool = Assert.Single(request.Tools);
        Assert.Equal("get_weather", tool.Name);
        Assert.Equal("The weather of a city", tool.Description);
        Assert.Equal("string", JsonDocument.Parse(tool.ParametersJsonSchema).RootElement.GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        Assert.Equal("get_weather", request.ToolChoice.FunctionName);
        Assert.Equal(ResponseFormatType.JsonSchema, request.ResponseFormat.Type);
        Assert.Equal("numbers", request.ResponseFormat.JsonSchemaName);
        Assert.Equal("a number", request.ResponseFormat.JsonSchemaDescription);
        Assert.Equal("integer", JsonDocument.Parse(request.ResponseFormat.JsonSchema).RootElement.GetProperty("properties").GetProperty("n").GetProperty("type").GetString());
        Assert.True(request.ResponseFormat.JsonSchemaStrict);
        Assert.Equal("user-1", request.User);
        Assert.Equal("b", request.Metadata["team"]);
    }

    [Fact]
    public void ToRequest_NoOptions_LeavesKeyRefModelAndSamplingUnset()
    {
        var request = Map(null);

        Assert.Equal("", request.KeyRef);
        Assert.Equal("", request.Model);
        Assert.False(request.HasTemperature);
        Assert.False(request.HasMaxTokens);
        Assert.Null(request.ToolChoice);
        Assert.Null(request.ResponseFormat);
    }

    [Theory]
    [InlineData("auto", ToolChoiceMode.Auto)]
    [InlineData("none", ToolChoiceMode.None)]
    [InlineData("required", ToolChoiceMode.Required)]
    public void ToRequest_ToolMode_MapsToTheMode(string mode, ToolChoiceMode expected)
    {
        ChatToolMode toolMode = mode switch { "auto" => ChatToolMode.Auto, "none" => ChatToolMode.None, _ => ChatToolMode.RequireAny };

        var request = Map(new ChatOptions { ToolMode = toolMode });

        Assert.Equal(expected, request.ToolChoice.Mode);
    }

    [Fact]
    public void ToRequest_JsonAndTextFormats_MapToTheirTypes()
    {
        Assert.Equal(ResponseFormatType.JsonObject, Map(new ChatOptions { ResponseFormat = ChatResponseFormat.Json }).ResponseFormat.Type);
        Assert.Equal(ResponseFormatType.Text, Map(new ChatOptions { ResponseFormat = ChatResponseFormat.Text }).ResponseFormat.Type);
    }

    [Fact]
    public void ToRequest_ToolRoundTrip_MapsCallsAndResultsWithTheirIds()
    {
        var request = Map(
            new ChatOptions { Instructions = "be brief" },
            new ChatMessage(ChatRole.System, "you know the weather"),
            new ChatMessage(ChatRole.User, "weather in Paris and Rome?") { AuthorName = "ann" },
            new ChatMessage(ChatRole.Assistant,
            [
                new FunctionCallContent("call_1", "get_weather", new Dictionary<string, object?> { ["city"] = "Paris" }),
                new FunctionCallContent("call_2", "get_weather", new Dictionary<string, object?> { ["city"] = "Rome" }),
            ]),
            new ChatMessage(ChatRole.Tool, [new FunctionResultContent("call_1", "sunny"), new FunctionResultContent("call_2", new { temperature = 21 })]),
            new ChatMessage(new ChatRole("developer"), "answer in French"));

        Assert.Equal(
            [Role.System, Role.System, Role.User, Role.Assistant, Role.Tool, Role.Tool, Role.Developer],
            request.Messages.Select(m => m.Role));
        Assert.Equal("be brief", request.Messages[0].Content);
        Assert.Equal("ann", request.Messages[2].Name);
        var calls = request.Messages[3].ToolCalls;
        Assert.Equal(["call_1", "call_2"], calls.Select(c => c.Id));
        Assert.Equal("""{"city":"Paris"}""", calls[0].ArgumentsJson);
        Assert.Equal("call_1", request.Messages[4].ToolCallId);
        Assert.Equal("sunny", request.Messages[4].Content);
        Assert.Equal("call_2", request.Messages[5].ToolCallId);
        Assert.Equal("""{"temperature":21}""", request.Messages[5].Content);
    }

    [Fact]
    public void ToRequest_ResultIsAJsonString_SendsItsTextUnquoted()
    {
        var request = Map(null, new ChatMessage(ChatRole.Tool, [new FunctionResultContent("call_1", JsonSerializer.SerializeToElement("sunny"))]));

        Assert.Equal("sunny", request.Messages.Single().Content);
    }

    [Fact]
    public void ToRequest_RawRepresentationFactory_StartsFromItsRequest()
    {
        var request = Map(new ChatOptions
        {
            RawRepresentationFactory = _ => new CompleteRequest { KeyRef = "from-factory", User = "u" },
            Temperature = 1,
        });

        Assert.Equal("from-factory", request.KeyRef);
        Assert.Equal("u", request.User);
        Assert.Equal(1, request.Temperature);
        Assert.Single(request.Messages);
    }

    public static TheoryData<string> Unsupported() => ["TopK", "ConversationId", "AllowMultipleToolCalls", "HostedTool", "Image", "Role"];

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void ToRequest_WhatTheContractCannotCarry_IsRefused(string what)
    {
        ChatOptions? options = what switch
        {
            "TopK" => new ChatOptions { TopK = 5 },
            "ConversationId" => new ChatOptions { ConversationId = "conv" },
            "AllowMultipleToolCalls" => new ChatOptions { AllowMultipleToolCalls = false },
            "HostedTool" => new ChatOptions { Tools = [new HostedWebSearchTool()] },
            _ => null,
        };
        var message = what switch
        {
            "Image" => new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1 }, "image/png")]),
            "Role" => new ChatMessage(new ChatRole("narrator"), "once upon a time"),
            _ => new ChatMessage(ChatRole.User, "hi"),
        };

        var ex = Assert.Throws<NotSupportedException>(() => Map(options, message));

        Assert.False(string.IsNullOrEmpty(ex.Message));
    }

    [Fact]
    public void ToRequest_MetadataNotStringPairs_IsRefused()
    {
        var options = new ChatOptions { AdditionalProperties = new() { [SidecarChatOptionKeys.Metadata] = 42 } };

        var ex = Assert.Throws<ArgumentException>(() => Map(options));

        Assert.Contains("metadata", ex.Message);
    }

    private sealed class NoChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
