using Sidecar.Upstream;
using Sidecar.V1;

namespace Sidecar.Tests.Upstream;

public sealed class ChatResponseMapperTests
{
    [Fact]
    public void Split_OversizedContentAndArguments_GivesPiecesUnderTheLimitThatConcatenateBack()
    {
        var content = string.Concat(Enumerable.Repeat("ab😀", ChatResponseMapper.MaxDeltaChars));
        var arguments = new string('{', (ChatResponseMapper.MaxDeltaChars * 2) + 5);
        var chunk = new CompleteChunk { Id = "c1", Model = "m", ContentDelta = content };
        chunk.ToolCallDeltas.Add(new ToolCallDelta { Index = 2, Id = "call_1", Name = "tool", ArgumentsDelta = arguments });

        Assert.True(ChatResponseMapper.IsOversized(chunk));
        var pieces = ChatResponseMapper.Split(chunk).ToList();

        Assert.All(pieces, p => Assert.True(p.ContentDelta.Length <= ChatResponseMapper.MaxDeltaChars && p.CalculateSize() < 1024 * 1024));
        Assert.All(pieces, p => Assert.Equal(("c1", "m"), (p.Id, p.Model)));
        Assert.Equal(content, string.Concat(pieces.Select(p => p.ContentDelta)));
        Assert.All(pieces.Where(p => p.ContentDelta.Length > 0), p => Assert.False(char.IsHighSurrogate(p.ContentDelta[^1])));
        var calls = pieces.SelectMany(p => p.ToolCallDeltas).ToList();
        Assert.Equal(3, calls.Count);
        Assert.Equal(arguments, string.Concat(calls.Select(c => c.ArgumentsDelta)));
        Assert.All(calls, c => Assert.Equal(2, c.Index));
        Assert.Equal(("call_1", "tool"), (calls[0].Id, calls[0].Name));
        Assert.All(calls.Skip(1), c => Assert.Equal((string.Empty, string.Empty), (c.Id, c.Name)));
    }

    [Fact]
    public void IsOversized_OrdinaryChunk_IsFalse()
    {
        Assert.False(ChatResponseMapper.IsOversized(new CompleteChunk { ContentDelta = new string('x', ChatResponseMapper.MaxDeltaChars) }));
    }
}
