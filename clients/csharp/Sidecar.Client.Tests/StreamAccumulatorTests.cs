using Sidecar.V1;

namespace Sidecar.Client.Tests;

public sealed class StreamAccumulatorTests
{
    private static ToolCallDelta Delta(int index, string arguments, string id = "", string name = "") =>
        new() { Index = index, Id = id, Name = name, ArgumentsDelta = arguments };

    [Fact]
    public void Add_InterleavedToolCallDeltas_MergesThemByIndex()
    {
        var accumulator = new StreamAccumulator();
        accumulator.Add(new CompleteChunk { Id = "c1", Model = "m", ContentDelta = "Checking " });
        accumulator.Add(new CompleteChunk { ToolCallDeltas = { Delta(1, "", "call_b", "time"), Delta(0, "{\"ci", "call_a", "weather") } });
        accumulator.Add(new CompleteChunk { ContentDelta = "both.", ToolCallDeltas = { Delta(0, "ty\":\"Paris\"}"), Delta(1, "{}") } });
        accumulator.Add(new CompleteChunk
        {
            FinishReason = FinishReason.ToolCalls,
            Usage = new Usage { PromptTokens = 3, CompletionTokens = 4, TotalTokens = 7 },
            ServedBy = new ServedBy { KeyRef = "pool-b", Model = "m-2024", Attempts = 2 },
        });

        var response = accumulator.ToResponse();

        Assert.Equal("c1", response.Id);
        Assert.Equal("m", response.Model);
        Assert.Equal(Role.Assistant, response.Message.Role);
        Assert.Equal("Checking both.", response.Message.Content);
        Assert.Equal(
            [
                new ToolCall { Id = "call_a", Name = "weather", ArgumentsJson = "{\"city\":\"Paris\"}" },
                new ToolCall { Id = "call_b", Name = "time", ArgumentsJson = "{}" },
            ],
            response.Message.ToolCalls);
        Assert.Equal(FinishReason.ToolCalls, response.FinishReason);
        Assert.Equal(7, response.Usage.TotalTokens);
        Assert.Equal(new ServedBy { KeyRef = "pool-b", Model = "m-2024", Attempts = 2 }, response.ServedBy);
        Assert.Same(response.ServedBy, accumulator.ServedBy);
    }

    [Fact]
    public void FinalMessage_BeforeTheLastChunk_Throws()
    {
        var accumulator = new StreamAccumulator();
        accumulator.Add(new CompleteChunk { ContentDelta = "partial" });

        Assert.Throws<InvalidOperationException>(accumulator.FinalMessage);
        Assert.Equal("partial", accumulator.Content);
        Assert.False(accumulator.IsFinished);
        Assert.Null(accumulator.ServedBy);
    }

    [Fact]
    public void Add_AfterTheLastChunk_Throws()
    {
        var accumulator = new StreamAccumulator();
        accumulator.Add(new CompleteChunk { ContentDelta = "done", FinishReason = FinishReason.Stop });

        Assert.Throws<InvalidOperationException>(() => accumulator.Add(new CompleteChunk { ContentDelta = "more" }));
        Assert.Equal("done", accumulator.FinalMessage().Content);
    }

    [Fact]
    public async Task AccumulateAsync_StreamEndsWithoutFinishReason_Throws()
    {
        static async IAsyncEnumerable<CompleteChunk> Cut()
        {
            yield return new CompleteChunk { ContentDelta = "a" };
            await Task.Yield();
        }

        await Assert.ThrowsAsync<InvalidOperationException>(() => StreamAccumulator.AccumulateAsync(Cut()));
    }
}
