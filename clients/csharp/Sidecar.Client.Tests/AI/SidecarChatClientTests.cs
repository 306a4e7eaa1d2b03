using Microsoft.Extensions.AI;
using Sidecar.Client.AI;
using Sidecar.Client.Tests.Infrastructure;
using Sidecar.V1;

namespace Sidecar.Client.Tests.AI;

/// <summary>SidecarChatClient's answers against the in-process fake sidecar.</summary>
public sealed class SidecarChatClientTests : IAsyncLifetime
{
    private FakeSidecar _fake = null!;
    private SidecarClient _client = null!;

    public async Task InitializeAsync()
    {
        _fake = await FakeSidecar.StartAsync().WithTimeout();
        _client = SidecarClient.Create(new SidecarClientOptions { SocketPath = _fake.SocketPath, KeyRef = "team-a", Model = "gpt-x" });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task GetResponseAsync_Answer_MapsTextToolCallsFinishReasonAndUsage()
    {
        CompleteRequest? seen = null;
        _fake.Complete = async call =>
        {
            seen = call.Request;
            await call.WriteAsync(new CompleteResponse
            {
                Id = "c1",
                Model = "gpt-x-2025",
                Message = new Message
                {
                    Role = Role.Assistant,
                    Content = "Let me check.",
                    ToolCalls =
                    {
                        new ToolCall { Id = "call_1", Name = "get_weather", ArgumentsJson = """{"city":"Paris"}""" },
                        new ToolCall { Id = "call_2", Name = "get_weather", ArgumentsJson = "not json" },
                    },
                },
                FinishReason = FinishReason.ToolCalls,
                Usage = new Usage { PromptTokens = 10, CompletionTokens = 5, TotalTokens = 15, CachedPromptTokens = 3, ReasoningTokens = 2 },
                ServedBy = new ServedBy { KeyRef = "team-a-fallback", Model = "gpt-x-azure", Attempts = 2 },
            });
        };
        using var chat = new SidecarChatClient(_client);

        var response = await chat.GetResponseAsync("weather?").WithTimeout();

        Assert.Equal("team-a", seen!.KeyRef);
        Assert.Equal("gpt-x", seen.Model);
        Assert.Equal("c1", response.ResponseId);
        Assert.Equal("gpt-x-2025", response.ModelId);
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.Equal("Let me check.", response.Text);
        var calls = response.Messages.Single().Contents.OfType<FunctionCallContent>().ToList();
        Assert.Equal(["call_1", "call_2"], calls.Select(c => c.CallId));
        Assert.Equal("Paris", calls[0].Arguments!["city"]!.ToString());
        Assert.NotNull(calls[1].Exception); // malformed arguments are reported, not dropped
        Assert.Equal((10L, 5L, 15L, 3L, 2L),
            (response.Usage!.InputTokenCount, response.Usage.OutputTokenCount, response.Usage.TotalTokenCount, response.Usage.CachedInputTokenCount, response.Usage.ReasoningTokenCount));
        Assert.True(response.AdditionalProperties!.TryGetValue<ServedBy>(SidecarChatResponseKeys.ServedBy, out var servedBy));
        Assert.Equal(new ServedBy { KeyRef = "team-a-fallback", Model = "gpt-x-azure", Attempts = 2 }, servedBy);
        Assert.Same(servedBy, response.Messages.Single().AdditionalProperties![SidecarChatResponseKeys.ServedBy]);
        Assert.Same(servedBy, response.GetServedBy());
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Chunks_YieldTextThenWholeToolCallsWithFinishReasonAndUsage()
    {
        _fake.StreamComplete = async call =>
        {
            await call.WriteAsync(new CompleteChunk { Id = "c2", Model = "m", ContentDelta = "Checking" });
            await call.WriteAsync(new CompleteChunk { Id = "c2", Model = "m", ToolCallDeltas = { new ToolCallDelta { Index = 0, Id = "call_1", Name = "get_weather", ArgumentsDelta = "{\"city\"" } } });
            await call.WriteAsync(new CompleteChunk { Id = "c2", Model = "m", ToolCallDeltas = { new ToolCallDelta { Index = 0, ArgumentsDelta = ":\"Rome\"}" } } });
            await call.WriteAsync(new CompleteChunk
            {
                Id = "c2", Model = "m", FinishReason = FinishReason.ToolCalls,
                Usage = new Usage { PromptTokens = 4, CompletionTokens = 1, TotalTokens = 5 },
                ServedBy = new ServedBy { KeyRef = "team-a", Model = "m", Attempts = 1, Cached = true },
            });
        };
        using var chat = new SidecarChatClient(_client);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync("weather?"))
        {
            updates.Add(update);
        }

        Assert.Equal("Checking", updates[0].Text);
        Assert.All(updates, u => Assert.Equal("c2", u.ResponseId));
        var last = updates[^1];
        Assert.Equal(ChatFinishReason.ToolCalls, last.FinishReason);
        var call = Assert.Single(last.Contents.OfType<FunctionCallContent>());
        Assert.Equal("Rome", call.Arguments!["city"]!.ToString());
        Assert.Single(updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>()); // once, whole
        var servedBy = new ServedBy { KeyRef = "team-a", Model = "m", Attempts = 1, Cached = true };
        Assert.All(updates[..^1], u => Assert.Null(u.AdditionalProperties)); // served_by comes with the last update only
        Assert.Equal(servedBy, last.AdditionalProperties![SidecarChatResponseKeys.ServedBy]);
        var response = updates.ToChatResponse();
        Assert.Equal(5, response.Usage!.TotalTokenCount);
        Assert.Equal(servedBy, response.Messages.Single().AdditionalProperties![SidecarChatResponseKeys.ServedBy]); // merged into the message
        Assert.Equal(servedBy, response.GetServedBy());
    }

    [Fact]
    public async Task GetResponseAsync_AnswerWithoutServedBy_HasNoAdditionalProperties()
    {
        _fake.Complete = call => call.WriteAsync(new CompleteResponse
        {
            Message = new Message { Role = Role.Assistant, Content = "hi" },
            FinishReason = FinishReason.Stop,
        });
        using var chat = new SidecarChatClient(_client);

        var response = await chat.GetResponseAsync("hi").WithTimeout();

        Assert.Null(response.AdditionalProperties);
        Assert.Null(response.Messages.Single().AdditionalProperties);
        Assert.Null(response.GetServedBy());
        Assert.Null(response.ModelId);
    }

    [Fact]
    public void GetService_Metadata_NamesTheProviderSocketAndDefaultModel()
    {
        using var chat = new SidecarChatClient(_client);

        var metadata = chat.GetService<ChatClientMetadata>();

        Assert.Equal("sidecar", metadata!.ProviderName);
        Assert.Equal("gpt-x", metadata.DefaultModelId);
        Assert.Equal(_fake.SocketPath, metadata.ProviderUri!.AbsolutePath);
        Assert.Same(_client, chat.GetService<SidecarClient>());
    }
}
