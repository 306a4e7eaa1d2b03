using System.Runtime.CompilerServices;
using System.Text.Json;
using Sidecar.Keys;
using Sidecar.V1;

namespace Sidecar.Upstream;

/// <summary>
/// Answers locally, for demos and smoke tests: the last message's content comes back (word by word
/// when streamed), and usage counts words. With tools and a tool choice of <c>required</c> or a named
/// function, it calls that tool with <c>{"text": last message}</c> instead. Like every provider it is admitted
/// by <see cref="CallAdmission"/> first (local and shared limits), and a stream has at most <see cref="MaxContentChunks"/> content chunks, however long the prompt.
/// </summary>
internal sealed class EchoChatProvider(CallAdmission admission) : IChatProvider
{
    /// <summary>Most content chunks of one echoed stream: longer texts come in fewer, larger pieces.</summary>
    public const int MaxContentChunks = 256;

    private static long s_sequence;

    public async Task<CompleteResponse> CompleteAsync(CompleteRequest request, ResolvedKey key, string model, DateTime deadline, CancellationToken cancellationToken)
    {
        await using var admitted = await admission.AdmitAsync(key, stream: false, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var answer = Answer(request);
        admitted.Used(answer.Usage);
        var message = new Message { Role = Role.Assistant, Content = answer.Text };
        if (answer.ToolCall is { } call)
        {
            message.ToolCalls.Add(call);
        }

        return new CompleteResponse
        {
            Id = NextId(),
            Model = model,
            Message = message,
            FinishReason = answer.Finish,
            Usage = answer.Usage,
        };
    }

    public async IAsyncEnumerable<CompleteChunk> StreamAsync(CompleteRequest request, ResolvedKey key, string model, DateTime deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var admitted = await admission.AdmitAsync(key, stream: true, cancellationToken).ConfigureAwait(false);
        var answer = Answer(request);
        admitted.Used(answer.Usage);
        var id = NextId();
        foreach (var word in Pieces(answer.Text, MaxContentChunks))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new CompleteChunk { Id = id, Model = model, ContentDelta = word };

            // Let the transport flush each word as its own frame, as a real upstream would.
            await Task.Yield();
        }

        if (answer.ToolCall is { } call)
        {
            var delta = new ToolCallDelta { Index = 0, Id = call.Id, Name = call.Name, ArgumentsDelta = call.ArgumentsJson };
            yield return new CompleteChunk { Id = id, Model = model, ToolCallDeltas = { delta } };
        }

        yield return new CompleteChunk { Id = id, Model = model, FinishReason = answer.Finish, Usage = answer.Usage };
    }

    private static EchoAnswer Answer(CompleteRequest request)
    {
        var last = request.Messages[^1];
        var promptWords = request.Messages.Sum(m => CountWords(m.Content));
        var tool = ChosenTool(request);
        if (tool is not null && last.Role != Role.Tool)
        {
            var arguments = JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = last.Content }, EchoJsonContext.Default.DictionaryStringString);
            var call = new ToolCall { Id = "call_echo_0", Name = tool, ArgumentsJson = arguments };
            return new EchoAnswer(string.Empty, call, FinishReason.ToolCalls, Usage(promptWords, 1));
        }

        return new EchoAnswer(last.Content, null, FinishReason.Stop, Usage(promptWords, CountWords(last.Content)));
    }

    private static string? ChosenTool(CompleteRequest request)
    {
        if (request.Tools.Count == 0 || request.ToolChoice is null)
        {
            return null;
        }

        return request.ToolChoice.ChoiceCase switch
        {
            ToolChoice.ChoiceOneofCase.FunctionName => request.ToolChoice.FunctionName,
            ToolChoice.ChoiceOneofCase.Mode when request.ToolChoice.Mode == ToolChoiceMode.Required => request.Tools[0].Name,
            _ => null,
        };
    }

    /// <summary>
    /// Splits text into at most <paramref name="maxPieces"/> pieces that concatenate back to it exactly:
    /// whole words, one each for short texts, several each for long ones.
    /// </summary>
    internal static IEnumerable<string> Pieces(string text, int maxPieces)
    {
        var minLength = Math.Max(1, (text.Length + maxPieces - 2) / (maxPieces - 1));
        var piece = new System.Text.StringBuilder();
        foreach (var word in Words(text))
        {
            piece.Append(word);
            if (piece.Length >= minLength)
            {
                yield return piece.ToString();
                piece.Clear();
            }
        }

        if (piece.Length > 0)
        {
            yield return piece.ToString();
        }
    }

    /// <summary>Splits text into pieces that concatenate back to it exactly: each word with the space before it.</summary>
    internal static IEnumerable<string> Words(string text)
    {
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            // Trailing white space belongs to the last word.
            if (text.AsSpan(i).IsWhiteSpace())
            {
                i = text.Length;
            }

            yield return text[start..i];
            start = i;
        }
    }

    private static int CountWords(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    private static V1.Usage Usage(int prompt, int completion) =>
        new() { PromptTokens = prompt, CompletionTokens = completion, TotalTokens = prompt + completion };

    private static string NextId() => $"echo-{Interlocked.Increment(ref s_sequence)}";

    private sealed record EchoAnswer(string Text, ToolCall? ToolCall, FinishReason Finish, V1.Usage Usage);
}
