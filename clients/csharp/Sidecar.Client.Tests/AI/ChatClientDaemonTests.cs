using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using Sidecar.Client.AI;
using Sidecar.Client.Tests.Infrastructure;
using Sidecar.V1;

namespace Sidecar.Client.Tests.AI;

/// <summary>
/// SidecarChatClient against the live daemon (tests/conformance/with-daemon.sh), whose key
/// reference <c>fake</c> reaches the fake upstream: model <c>fake-tools</c> calls the first tool
/// with <c>{"city":"Paris"}</c> and, given the result, answers <c>tool call_1 said: …</c>.
/// </summary>
public sealed class ChatClientDaemonTests : IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);
    private readonly SidecarClient? _sidecar;

    public ChatClientDaemonTests()
    {
        if (Daemon.SocketPath is { } path)
        {
            _sidecar = SidecarClient.Create(new SidecarClientOptions { SocketPath = path, KeyRef = "fake", Model = "fake-tools" });
        }
    }

    public void Dispose() => _sidecar?.Dispose();

    private async Task<SidecarClient> ReadyAsync()
    {
        Daemon.AssertAvailable();
        await _sidecar!.WaitForReadyAsync(TimeSpan.FromSeconds(20)).WaitAsync(CallTimeout);
        return _sidecar;
    }

    private static (AIFunction Tool, ConcurrentQueue<string> Cities) WeatherTool()
    {
        var cities = new ConcurrentQueue<string>();
        var tool = AIFunctionFactory.Create(
            (string city) =>
            {
                cities.Enqueue(city);
                return $"sunny in {city}";
            },
            "get_weather",
            "The weather of a city");
        return (tool, cities);
    }

    [ConformanceFact]
    public async Task UseFunctionInvocation_GetResponseAsync_RunsTheToolLoopThroughTheDaemon()
    {
        var sidecar = await ReadyAsync();
        var (tool, cities) = WeatherTool();
        using var chat = new ChatClientBuilder(new SidecarChatClient(sidecar)).UseFunctionInvocation().Build();

        var response = await chat.GetResponseAsync("What is the weather in Paris?", new ChatOptions { Tools = [tool] }).WaitAsync(CallTimeout);

        Assert.Equal(["Paris"], cities);
        Assert.Equal("tool call_1 said: sunny in Paris", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        // The loop's messages: the model's call, the tool's result, the final answer.
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("call_1", call.CallId);
        var result = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>());
        Assert.Equal("call_1", result.CallId);
        Assert.True(response.Usage?.TotalTokenCount > 0, "usage of both calls");
        Assert.Equal(new ServedBy { KeyRef = "fake", Model = "fake-tools", Attempts = 1 }, response.AdditionalProperties?[SidecarChatResponseKeys.ServedBy]);
        Assert.Equal(new ServedBy { KeyRef = "fake", Model = "fake-tools", Attempts = 1 }, response.GetServedBy());
    }

    [ConformanceFact]
    public async Task UseFunctionInvocation_GetStreamingResponseAsync_RunsTheToolLoopThroughTheDaemon()
    {
        var sidecar = await ReadyAsync();
        var (tool, cities) = WeatherTool();
        using var chat = new ChatClientBuilder(new SidecarChatClient(sidecar)).UseFunctionInvocation().Build();

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync("What is the weather in Paris?", new ChatOptions { Tools = [tool] }).WithCancellation(new CancellationTokenSource(CallTimeout).Token))
        {
            updates.Add(update);
        }
        var response = updates.ToChatResponse();

        Assert.Equal(["Paris"], cities);
        Assert.EndsWith("tool call_1 said: sunny in Paris", response.Text);
        Assert.Equal(ChatFinishReason.Stop, updates.Last(u => u.FinishReason is not null).FinishReason);
        Assert.Equal(new ServedBy { KeyRef = "fake", Model = "fake-tools", Attempts = 1 }, response.GetServedBy());
    }

    [ConformanceFact]
    public async Task StreamAccumulator_ToolCallStreamedInPieces_EqualsTheUnaryAnswer()
    {
        var sidecar = await ReadyAsync();
        var request = new CompleteRequest
        {
            Messages = { new Message { Role = Role.User, Content = "weather in Paris?" } },
            Tools = { new Tool { Name = "get_weather", ParametersJsonSchema = """{"type":"object","properties":{"city":{"type":"string"}}}""" } },
        };

        var streamed = await StreamAccumulator.AccumulateAsync(sidecar.StreamCompleteAsync(request)).WaitAsync(CallTimeout);
        var unary = await sidecar.CompleteAsync(request).WaitAsync(CallTimeout);

        Assert.Equal(FinishReason.ToolCalls, streamed.FinishReason);
        Assert.Equal(unary.Message.ToolCalls, streamed.Message.ToolCalls);
        Assert.Equal("""{"city":"Paris"}""", streamed.Message.ToolCalls.Single().ArgumentsJson);
        Assert.Equal(unary.Usage, streamed.Usage);
        Assert.Equal(unary.ServedBy, streamed.ServedBy);
        Assert.Equal(new ServedBy { KeyRef = "fake", Model = "fake-tools", Attempts = 1 }, streamed.ServedBy);
    }

    [ConformanceFact]
    public async Task GetResponseAsync_CallerCancelsAHangingCall_ThrowsOperationCanceled()
    {
        var sidecar = await ReadyAsync();
        using var chat = new SidecarChatClient(sidecar);
        using var cts = new CancellationTokenSource();

        var call = chat.GetResponseAsync("hello", new ChatOptions { ModelId = "fake-hang" }, cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call).WaitAsync(CallTimeout);
    }
}
