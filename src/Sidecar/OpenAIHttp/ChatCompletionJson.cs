using System.Text.Json;
using Sidecar.V1;

namespace Sidecar.OpenAIHttp;

/// <summary>
/// Writes our answers in the OpenAI Chat Completions shapes (<c>chat.completion</c> and
/// <c>chat.completion.chunk</c>) with <see cref="Utf8JsonWriter"/>: no reflection, nothing to trim.
/// </summary>
internal static class ChatCompletionJson
{
    public static void WriteCompletion(Utf8JsonWriter w, CompleteResponse response, long created)
    {
        Start(w, "chat.completion", response.Id, response.Model, created);
        StartChoice(w, "message");
        w.WriteString("role", "assistant");
        var message = response.Message;
        if (message is not null && (message.Content.Length > 0 || message.ToolCalls.Count == 0))
        {
            w.WriteString("content", message.Content);
        }
        else
        {
            w.WriteNull("content");
        }

        w.WriteNull("refusal");
        if (message is { ToolCalls.Count: > 0 })
        {
            w.WriteStartArray("tool_calls");
            foreach (var call in message.ToolCalls)
            {
                WriteToolCall(w, index: null, call.Id, call.Name, call.ArgumentsJson);
            }

            w.WriteEndArray();
        }

        EndChoice(w, response.FinishReason);
        if (response.Usage is { } usage)
        {
            WriteUsage(w, usage);
        }

        w.WriteEndObject();
    }

    /// <summary>
    /// A tool call as OpenAI writes it: whole in a message (no <paramref name="index"/>; id, type and name
    /// always), or a piece of one in a chunk (its index; id, type and name on the first piece only).
    /// </summary>
    private static void WriteToolCall(Utf8JsonWriter w, int? index, string id, string name, string arguments)
    {
        var whole = index is null;
        w.WriteStartObject();
        if (index is { } position)
        {
            w.WriteNumber("index", position);
        }

        if (whole || id.Length > 0)
        {
            w.WriteString("id", id);
            w.WriteString("type", "function");
        }

        w.WriteStartObject("function");
        if (whole || name.Length > 0)
        {
            w.WriteString("name", name);
        }

        w.WriteString("arguments", arguments);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>One chunk with one choice; <paramref name="first"/> adds the assistant role, as OpenAI's first delta does.</summary>
    public static void WriteChunk(Utf8JsonWriter w, CompleteChunk chunk, long created, bool first, bool includeUsage)
    {
        Start(w, "chat.completion.chunk", chunk.Id, chunk.Model, created);
        StartChoice(w, "delta");
        if (first)
        {
            w.WriteString("role", "assistant");
        }

        if (chunk.ContentDelta.Length > 0)
        {
            w.WriteString("content", chunk.ContentDelta);
        }

        if (chunk.ToolCallDeltas.Count > 0)
        {
            w.WriteStartArray("tool_calls");
            foreach (var delta in chunk.ToolCallDeltas)
            {
                WriteToolCall(w, delta.Index, delta.Id, delta.Name, delta.ArgumentsDelta);
            }

            w.WriteEndArray();
        }

        EndChoice(w, chunk.FinishReason);
        if (includeUsage)
        {
            // The SDKs expect the key on every chunk when usage was asked for, null until the last one.
            w.WriteNull("usage");
        }

        w.WriteEndObject();
    }

    /// <summary>The usage chunk OpenAI sends after the finish reason when <c>include_usage</c> is set: no choices.</summary>
    public static void WriteUsageChunk(Utf8JsonWriter w, string id, string model, long created, Usage usage)
    {
        Start(w, "chat.completion.chunk", id, model, created);
        w.WriteStartArray("choices");
        w.WriteEndArray();
        WriteUsage(w, usage);
        w.WriteEndObject();
    }

    /// <summary>Opens a completion or a chunk: the fields before its choices.</summary>
    private static void Start(Utf8JsonWriter w, string kind, string id, string model, long created)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", kind);
        w.WriteNumber("created", created);
        w.WriteString("model", model);
    }

    /// <summary>Opens the one choice we send and its <paramref name="body"/> (<c>message</c> or <c>delta</c>).</summary>
    private static void StartChoice(Utf8JsonWriter w, string body)
    {
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject(body);
    }

    /// <summary>Closes what <see cref="StartChoice"/> opened, with the choice's finish reason.</summary>
    private static void EndChoice(Utf8JsonWriter w, FinishReason reason)
    {
        w.WriteEndObject();
        WriteFinishReason(w, reason);
        w.WriteNull("logprobs");
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private static void WriteFinishReason(Utf8JsonWriter w, FinishReason reason)
    {
        switch (reason)
        {
            case FinishReason.Stop: w.WriteString("finish_reason", "stop"); break;
            case FinishReason.Length: w.WriteString("finish_reason", "length"); break;
            case FinishReason.ToolCalls: w.WriteString("finish_reason", "tool_calls"); break;
            case FinishReason.ContentFilter: w.WriteString("finish_reason", "content_filter"); break;
            default: w.WriteNull("finish_reason"); break;
        }
    }

    private static void WriteUsage(Utf8JsonWriter w, Usage usage)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", usage.PromptTokens);
        w.WriteNumber("completion_tokens", usage.CompletionTokens);
        w.WriteNumber("total_tokens", usage.TotalTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", usage.CachedPromptTokens);
        w.WriteEndObject();
        w.WriteStartObject("completion_tokens_details");
        w.WriteNumber("reasoning_tokens", usage.ReasoningTokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
