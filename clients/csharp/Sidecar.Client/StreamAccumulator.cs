using System.Text;
using Sidecar.V1;

namespace Sidecar.Client;

/// <summary>
/// Merges the chunks of a <c>StreamComplete</c> call into the answer <c>Complete</c> would have
/// given: the content, the tool calls (their deltas merged by <c>index</c>), and the last chunk's
/// finish reason, usage and served_by (who answered). Not thread-safe: one per stream.
/// </summary>
/// <example>
/// <code>
/// var accumulator = new StreamAccumulator();
/// await foreach (var chunk in sidecar.StreamCompleteAsync(request, cancellationToken: ct))
/// {
///     accumulator.Add(chunk);
///     Console.Write(chunk.ContentDelta);
/// }
/// var message = accumulator.FinalMessage(); // content and tool calls
/// </code>
/// </example>
public sealed class StreamAccumulator
{
    private readonly StringBuilder _content = new();

    // Keyed by the delta's index (the daemon numbers them 0, 1, …), so a large index costs no array.
    private readonly SortedDictionary<int, ToolCallBuilder> _toolCalls = [];

    /// <summary>The completion id (the same on every chunk).</summary>
    public string Id { get; private set; } = string.Empty;

    /// <summary>The model that answers.</summary>
    public string Model { get; private set; } = string.Empty;

    /// <summary>The finish reason; <see cref="FinishReason.Unspecified"/> until the last chunk.</summary>
    public FinishReason FinishReason { get; private set; }

    /// <summary>The usage of the last chunk; <see langword="null"/> until then (or when the upstream reported none).</summary>
    public Usage? Usage { get; private set; }

    /// <summary>Who answered (the key reference, the upstream model, the targets tried), from the last chunk; <see langword="null"/> until then.</summary>
    public ServedBy? ServedBy { get; private set; }

    /// <summary>Whether the last chunk (the one with a finish reason) has been added.</summary>
    public bool IsFinished => FinishReason != FinishReason.Unspecified;

    /// <summary>The content so far.</summary>
    public string Content => _content.ToString();

    /// <summary>Adds the next chunk.</summary>
    /// <exception cref="InvalidOperationException">A chunk arrives after the last one.</exception>
    public void Add(CompleteChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (IsFinished)
        {
            throw new InvalidOperationException("A chunk arrived after the stream's last chunk (the one with a finish reason).");
        }
        if (chunk.Id.Length > 0)
        {
            Id = chunk.Id;
        }
        if (chunk.Model.Length > 0)
        {
            Model = chunk.Model;
        }
        _content.Append(chunk.ContentDelta);
        foreach (var delta in chunk.ToolCallDeltas)
        {
            if (!_toolCalls.TryGetValue(delta.Index, out var call))
            {
                call = new ToolCallBuilder();
                _toolCalls.Add(delta.Index, call);
            }
            call.Add(delta);
        }
        if (chunk.Usage is not null)
        {
            Usage = chunk.Usage;
        }
        if (chunk.ServedBy is not null)
        {
            ServedBy = chunk.ServedBy;
        }
        FinishReason = chunk.FinishReason;
    }

    /// <summary>The tool calls so far, ordered by index.</summary>
    public IReadOnlyList<ToolCall> ToolCalls() => _toolCalls.Values.Select(c => c.Build()).ToList();

    /// <summary>The answer: role <see cref="Role.Assistant"/>, the whole content and the tool calls.</summary>
    /// <exception cref="InvalidOperationException">The stream has not finished (no chunk with a finish reason yet): the answer would be incomplete.</exception>
    public Message FinalMessage()
    {
        ThrowIfNotFinished();
        var message = new Message { Role = Role.Assistant, Content = Content };
        message.ToolCalls.AddRange(ToolCalls());
        return message;
    }

    /// <summary>The answer as <c>Complete</c> returns it: id, model, <see cref="FinalMessage"/>, finish reason, usage, served_by.</summary>
    /// <exception cref="InvalidOperationException">The stream has not finished.</exception>
    public CompleteResponse ToResponse()
    {
        var response = new CompleteResponse { Id = Id, Model = Model, Message = FinalMessage(), FinishReason = FinishReason };
        if (Usage is not null)
        {
            response.Usage = Usage;
        }
        if (ServedBy is not null)
        {
            response.ServedBy = ServedBy;
        }
        return response;
    }

    /// <summary>Reads the whole stream and returns the merged answer.</summary>
    /// <exception cref="InvalidOperationException">The stream ended without a finish reason.</exception>
    public static async Task<CompleteResponse> AccumulateAsync(IAsyncEnumerable<CompleteChunk> stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var accumulator = new StreamAccumulator();
        await foreach (var chunk in stream.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            accumulator.Add(chunk);
        }
        return accumulator.ToResponse();
    }

    private void ThrowIfNotFinished()
    {
        if (!IsFinished)
        {
            throw new InvalidOperationException("The stream has not finished (no chunk with a finish reason yet): the answer would be incomplete.");
        }
    }

    private sealed class ToolCallBuilder
    {
        private readonly StringBuilder _arguments = new();
        private string _id = string.Empty;
        private string _name = string.Empty;

        public void Add(ToolCallDelta delta)
        {
            if (delta.Id.Length > 0)
            {
                _id = delta.Id;
            }
            if (delta.Name.Length > 0)
            {
                _name = delta.Name;
            }
            _arguments.Append(delta.ArgumentsDelta);
        }

        public ToolCall Build() => new() { Id = _id, Name = _name, ArgumentsJson = _arguments.ToString() };
    }
}
