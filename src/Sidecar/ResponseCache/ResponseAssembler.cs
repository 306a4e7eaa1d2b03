using System.Text;
using Sidecar.V1;

namespace Sidecar.ResponseCache;

/// <summary>
/// Rebuilds the whole answer from a stream's chunks, so a streamed miss can be cached: content concatenated, tool
/// calls merged by index, the finish reason and usage from the last chunk. Past <c>maxBytes</c> of text it gives up
/// (the answer is relayed, not kept).
/// </summary>
internal sealed class ResponseAssembler(int maxBytes)
{
    private readonly StringBuilder _content = new();
    private readonly SortedDictionary<int, (string Id, string Name, StringBuilder Arguments)> _tools = [];
    private string _id = string.Empty;
    private string _model = string.Empty;
    private FinishReason _finish;
    private Usage? _usage;
    private long _chars;

    public bool TooLarge { get; private set; }

    public void Add(CompleteChunk chunk)
    {
        if (TooLarge)
        {
            return;
        }

        _id = _id.Length == 0 ? chunk.Id : _id;
        _model = _model.Length == 0 ? chunk.Model : _model;
        _content.Append(chunk.ContentDelta);
        _chars += chunk.ContentDelta.Length;
        foreach (var delta in chunk.ToolCallDeltas)
        {
            var call = _tools.TryGetValue(delta.Index, out var known) ? known : (Id: delta.Id, Name: delta.Name, Arguments: new StringBuilder());
            call.Arguments.Append(delta.ArgumentsDelta);
            _tools[delta.Index] = (call.Id.Length > 0 ? call.Id : delta.Id, call.Name.Length > 0 ? call.Name : delta.Name, call.Arguments);
            _chars += delta.ArgumentsDelta.Length + delta.Id.Length + delta.Name.Length;
        }

        if (chunk.FinishReason != FinishReason.Unspecified)
        {
            _finish = chunk.FinishReason;
            _usage = chunk.Usage;
        }

        // UTF-16 characters are at most 3 bytes of UTF-8 each: a cheap upper bound.
        TooLarge = _chars * 3 > maxBytes;
    }

    /// <summary>The whole answer, or null when the stream never finished or grew too large to keep.</summary>
    public CompleteResponse? Response()
    {
        if (TooLarge || _finish == FinishReason.Unspecified)
        {
            return null;
        }

        var message = new Message { Role = Role.Assistant, Content = _content.ToString() };
        foreach (var (_, call) in _tools)
        {
            message.ToolCalls.Add(new ToolCall { Id = call.Id, Name = call.Name, ArgumentsJson = call.Arguments.ToString() });
        }

        return new CompleteResponse { Id = _id, Model = _model, Message = message, FinishReason = _finish, Usage = _usage };
    }
}
