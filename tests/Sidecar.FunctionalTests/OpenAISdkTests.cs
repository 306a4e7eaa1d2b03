using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;

namespace Sidecar.FunctionalTests;

/// <summary>
/// The official OpenAI .NET SDK, pointed at the daemon's <c>openai.sock</c> with a key_ref as its API key:
/// the two-line switch an existing agent makes.
/// </summary>
public sealed class OpenAISdkTests : DaemonTests
{
    protected override Dictionary<string, string> Settings() => new() { ["Sidecar:Resilience:Retry:MaxRetries"] = "0" };

    private ChatClient Chat(string model, string keyRef = "fake") => new(
        model,
        new ApiKeyCredential(keyRef),
        new OpenAIClientOptions
        {
            Endpoint = new Uri("http://localhost/v1"),
            Transport = new HttpClientPipelineTransport(UnixHttp.Client(Path.Combine(Path.GetDirectoryName(Daemon.Socket)!, "openai.sock"))),
            RetryPolicy = new ClientRetryPolicy(0),
        });

    [Fact]
    public async Task Sdk_Unary_ReadsTheAnswerAndUsage()
    {
        ChatCompletion answer = await Chat("fake-1").CompleteChatAsync([new UserChatMessage("ping")]);

        Assert.Equal("fake: ping", answer.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, answer.FinishReason);
        Assert.Equal(1, answer.Usage.InputTokenCount);
        Assert.Equal(2, answer.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task Sdk_Stream_ReadsDeltasFinishAndUsage()
    {
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in Chat("fake-1").CompleteChatStreamingAsync([new UserChatMessage("one two three")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal("fake: one two three", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(3, usage.InputTokenCount);
        Assert.Equal(4, usage.OutputTokenCount);
    }

    [Fact]
    public async Task Sdk_ToolRoundTrip_CallsTheToolThenReadsTheFinalAnswer()
    {
        var weather = ChatTool.CreateFunctionTool(
            "weather",
            "Weather in a city",
            BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));
        var options = new ChatCompletionOptions { Tools = { weather }, ToolChoice = ChatToolChoice.CreateAutoChoice() };
        List<ChatMessage> messages = [new UserChatMessage("weather in Paris?")];
        var chat = Chat("fake-tools");

        ChatCompletion first = await chat.CompleteChatAsync(messages, options);
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal("weather", call.FunctionName);
        Assert.Equal("""{"city":"Paris"}""", call.FunctionArguments.ToString());

        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, "sunny"));
        ChatCompletion second = await chat.CompleteChatAsync(messages, options);

        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.Equal($"tool {call.Id} said: sunny", second.Content[0].Text);
    }

    [Fact]
    public async Task Sdk_UnknownKeyRef_RaisesTheSdks404()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Chat("fake-1", keyRef: "nobody").CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(404, error.Status);
        Assert.Contains("key_ref_not_found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sdk_UpstreamRateLimit_RaisesTheSdks429WithRetryAfter()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => Chat("fake-429").CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(429, error.Status);
        Assert.True(error.GetRawResponse()!.Headers.TryGetValue("Retry-After", out var retryAfter));
        Assert.Equal("2", retryAfter);
    }
}
