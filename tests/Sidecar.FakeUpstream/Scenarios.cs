using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sidecar.FakeUpstream;

/// <summary>
/// What the fake does, chosen by the model name (anything after <c>@</c> is ignored):
/// <list type="bullet">
/// <item>any other name: answers <c>fake: &lt;last message&gt;</c>, or <c>tool &lt;id&gt; said: &lt;content&gt;</c> after a tool result; usage counts words.</item>
/// <item><c>fake-tools</c>: calls the first tool with <c>{"city":"Paris"}</c> (id <c>call_1</c>) unless the last message is a tool result.</item>
/// <item><c>fake-parallel-tools</c>: the same, plus a second call of that tool with <c>{"city":"Tokyo"}</c> (id <c>call_2</c>,
/// index 1); streamed, the two calls' deltas interleave.</item>
/// <item><c>fake-usage-details</c>: usage with 3 cached prompt tokens and 5 reasoning tokens.</item>
/// <item><c>fake-length</c>, <c>fake-filter</c>: finish reasons <c>length</c> and <c>content_filter</c>.</item>
/// <item><c>fake-400</c>, <c>-401</c>, <c>-403</c>, <c>-404</c>, <c>-422</c>, <c>-500</c>, <c>-503</c>: that status (401 echoes the key, as some upstreams do).</item>
/// <item><c>fake-429</c>: 429 with <c>Retry-After: 2</c>.</item>
/// <item><c>fake-failN-STATUS</c> (e.g. <c>fake-fail2-503</c>): the first N requests for that exact model name fail with STATUS, then it answers.</item>
/// <item><c>fake-hang</c>: never answers (until the client goes away).</item>
/// <item><c>fake-drip</c>: streams 300 chunks <c>"tick "</c>, one every 20 ms; <c>fake-drip-N</c> streams N of them.</item>
/// <item><c>fake-cut</c>: streams 3 chunks, then ends the response without a finish reason or [DONE].</item>
/// <item><c>fake-reset</c>: streams 3 chunks, then aborts the connection.</item>
/// <item><c>fake-failN-429-afterMSms</c> (e.g. <c>fake-fail1-429-after200ms</c>): the first N requests get 429 with
/// <c>retry-after-ms: MS</c> and <c>Retry-After</c> in whole seconds (rounded up), then it answers.</item>
/// <item><c>fake-slowdrip-MS</c>: streams its first chunk at once, then waits MS milliseconds before each of 3 more.</item>
/// <item><c>fake-notjson</c>: a 200 whose body is an HTML page; streamed, an event whose data is not JSON, before any text.</item>
/// <item><c>fake-error-object</c>: a 200 whose body (or only event) is an OpenAI <c>error</c> object.</item>
/// <item><c>fake-no-choices</c>: a 200 completion (or chunk) with an empty <c>choices</c> array.</item>
/// <item><c>fake-bad-sse</c>: streams 3 chunks, then an event whose data is broken JSON.</item>
/// <item><c>fake-huge-N</c>: streamed, one chunk and then an event of N MiB on one line (then it would finish normally);
/// not streamed, a completion padded to N MiB. Written in 64 KiB pieces, so a reader that stops shows as an abort.</item>
/// <item><c>fake-bigdelta-N</c>: answers N MiB of <c>x</c>, streamed as one single content delta.</item>
/// <item><c>fake-redirect-PORT</c>: 307 to <c>http://127.0.0.1:PORT/v1/chat/completions</c>.</item>
/// <item><c>fake-400-leaky</c>: a 400 whose error message, type, code and other fields quote the caller's key in
/// disguises: a prefix, a suffix, upper case, the base64 of <c>Bearer &lt;key&gt;</c>, and whole.</item>
/// <item><c>fake-echo-headers</c>: answers the request's headers, one <c>name: value</c> line each, sorted.</item>
/// </list>
/// </summary>
internal static partial class Scenarios
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromMinutes(2);

    public static async Task RunAsync(HttpContext context, JsonObject body, string model, bool stream, int count, RecordedRequest recorded)
    {
        var ct = context.RequestAborted;
        var name = model.Split('@')[0];
        switch (name)
        {
            case "fake-401":
                await WriteError(context, 401, $"Incorrect API key provided: {recorded.Authorization?.Replace("Bearer ", string.Empty)}.");
                return;
            case "fake-400" or "fake-403" or "fake-404" or "fake-422" or "fake-500" or "fake-503":
                await WriteError(context, int.Parse(name[5..]), $"fake {name[5..]}: the model rejects this request");
                return;
            case "fake-429":
                context.Response.Headers.RetryAfter = "2";
                await WriteError(context, 429, "Rate limit reached for requests");
                return;
            case "fake-hang":
                await Task.Delay(HangLimit, ct);
                return;
            case "fake-notjson" when !stream:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("<html><body>502 from a proxy that says 200</body></html>", ct);
                return;
            case "fake-notjson":
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync("data: <html><body>not json</body></html>\n\n", ct);
                return;
            case "fake-error-object":
                var error = new JsonObject
                {
                    ["error"] = new JsonObject { ["message"] = "The server had an error while processing your request.", ["type"] = "server_error", ["code"] = "overloaded" },
                };
                context.Response.ContentType = stream ? "text/event-stream" : "application/json";
                await context.Response.WriteAsync(stream ? $"data: {error.ToJsonString()}\n\ndata: [DONE]\n\n" : error.ToJsonString(), ct);
                return;
            case "fake-no-choices":
                var empty = new JsonObject
                {
                    ["id"] = "chatcmpl-fake-empty",
                    ["object"] = stream ? "chat.completion.chunk" : "chat.completion",
                    ["created"] = 1_700_000_000,
                    ["model"] = model,
                    ["choices"] = new JsonArray(),
                };
                context.Response.ContentType = stream ? "text/event-stream" : "application/json";
                await context.Response.WriteAsync(stream ? $"data: {empty.ToJsonString()}\n\ndata: [DONE]\n\n" : empty.ToJsonString(), ct);
                return;
            case "fake-400-leaky":
                await WriteLeakyError(context, recorded.Authorization?.Replace("Bearer ", string.Empty) ?? string.Empty);
                return;
        }

        if (RedirectPattern().Match(name) is { Success: true } redirect)
        {
            context.Response.StatusCode = 307;
            context.Response.Headers.Location = $"http://127.0.0.1:{redirect.Groups[1].Value}/v1/chat/completions";
            return;
        }

        if (FailPattern().Match(name) is { Success: true } fail && count <= int.Parse(fail.Groups[1].Value))
        {
            await WriteError(context, int.Parse(fail.Groups[2].Value), "fake transient failure");
            return;
        }

        if (RateLimitPattern().Match(name) is { Success: true } limited && count <= int.Parse(limited.Groups[1].Value))
        {
            var ms = int.Parse(limited.Groups[2].Value);
            context.Response.Headers["retry-after-ms"] = ms.ToString();
            context.Response.Headers.RetryAfter = ((ms + 999) / 1000).ToString();
            await WriteError(context, 429, "Rate limit reached for requests");
            return;
        }

        var messages = body["messages"]?.AsArray() ?? [];
        var last = messages.Count > 0 ? messages[^1]!.AsObject() : new JsonObject();
        var lastRole = last["role"]?.GetValue<string>();
        var tools = body["tools"]?.AsArray();
        var promptWords = messages.Sum(m => CountWords(ContentOf(m!.AsObject())));

        string text;
        List<ToolCallAnswer> toolCalls = [];
        if (name is "fake-tools" or "fake-parallel-tools" && lastRole != "tool" && tools is { Count: > 0 })
        {
            var toolName = tools[0]!["function"]?["name"]?.GetValue<string>() ?? "tool";
            toolCalls.Add(new ToolCallAnswer("call_1", toolName, "{\"city\":\"Paris\"}"));
            if (name == "fake-parallel-tools")
            {
                toolCalls.Add(new ToolCallAnswer("call_2", toolName, "{\"city\":\"Tokyo\"}"));
            }

            text = string.Empty;
        }
        else if (lastRole == "tool")
        {
            text = $"tool {last["tool_call_id"]?.GetValue<string>()} said: {ContentOf(last)}";
        }
        else if (name == "fake-echo-headers")
        {
            text = string.Join("\n", recorded.Headers.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key}: {h.Value}"));
        }
        else if (name.StartsWith("fake-bigdelta-", StringComparison.Ordinal))
        {
            text = new string('x', int.Parse(name["fake-bigdelta-".Length..]) * Mebibyte);
        }
        else
        {
            text = $"fake: {ContentOf(last)}";
        }

        var huge = name.StartsWith("fake-huge-", StringComparison.Ordinal) ? int.Parse(name["fake-huge-".Length..]) * Mebibyte : 0;

        var finish = name switch
        {
            "fake-length" => "length",
            "fake-filter" => "content_filter",
            _ when toolCalls.Count > 0 => "tool_calls",
            _ => "stop",
        };
        var usage = Usage(promptWords, toolCalls.Count == 0 ? CountWords(text) : toolCalls.Count, details: name == "fake-usage-details");
        var id = $"chatcmpl-fake-{Guid.NewGuid():N}";

        if (!stream)
        {
            var message = new JsonObject { ["role"] = "assistant", ["content"] = toolCalls.Count == 0 ? text : null };
            if (toolCalls.Count > 0)
            {
                message["tool_calls"] = new JsonArray([.. toolCalls.Select(call => (JsonNode)new JsonObject
                {
                    ["id"] = call.Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.Arguments },
                })]);
            }

            var completion = new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion",
                ["created"] = 1_700_000_000,
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish, ["logprobs"] = null }),
                ["usage"] = usage,
            };
            context.Response.ContentType = "application/json";
            if (huge > 0)
            {
                // The padding goes first, as an unknown field, so a reader has to take it all before the answer.
                completion["padding"] = string.Empty;
                var json = completion.ToJsonString();
                var cut = json.IndexOf("\"padding\":\"", StringComparison.Ordinal) + "\"padding\":\"".Length;
                await context.Response.WriteAsync(json[..cut], ct);
                await WritePadding(context, huge, ct);
                await context.Response.WriteAsync(json[cut..], ct);
                return;
            }

            await context.Response.WriteAsync(completion.ToJsonString(), ct);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await Event(context, Chunk(id, model, new JsonObject { ["role"] = "assistant", ["content"] = string.Empty }, null), ct);

        if (name == "fake-drip" || name.StartsWith("fake-drip-", StringComparison.Ordinal))
        {
            var ticks = name == "fake-drip" ? 300 : int.Parse(name["fake-drip-".Length..]);
            for (var i = 0; i < ticks; i++)
            {
                await Task.Delay(20, ct);
                await Event(context, Chunk(id, model, new JsonObject { ["content"] = "tick " }, null), ct);
            }
        }
        else if (name.StartsWith("fake-slowdrip-", StringComparison.Ordinal))
        {
            var pause = int.Parse(name["fake-slowdrip-".Length..]);
            await Event(context, Chunk(id, model, new JsonObject { ["content"] = "slow" }, null), ct);
            for (var i = 0; i < 3; i++)
            {
                await Task.Delay(pause, ct);
                await Event(context, Chunk(id, model, new JsonObject { ["content"] = " drip" }, null), ct);
            }
        }
        else if (toolCalls.Count > 0)
        {
            // Every call's header, then the first halves of the arguments, then the second halves:
            // with several calls the deltas interleave, and only their index tells them apart.
            for (var i = 0; i < toolCalls.Count; i++)
            {
                await Event(context, Chunk(id, model, ToolDelta(i, toolCalls[i].Id, toolCalls[i].Name, string.Empty), null), ct);
            }

            for (var i = 0; i < toolCalls.Count; i++)
            {
                var arguments = toolCalls[i].Arguments;
                await Event(context, Chunk(id, model, ToolDelta(i, null, null, arguments[..(arguments.Length / 2)]), null), ct);
            }

            for (var i = 0; i < toolCalls.Count; i++)
            {
                var arguments = toolCalls[i].Arguments;
                await Event(context, Chunk(id, model, ToolDelta(i, null, null, arguments[(arguments.Length / 2)..]), null), ct);
            }
        }
        else
        {
            var sent = 0;
            foreach (var word in Words(text))
            {
                await Event(context, Chunk(id, model, new JsonObject { ["content"] = word }, null), ct);
                if (++sent == 3 && name == "fake-cut")
                {
                    return; // the response ends: no finish reason, no [DONE]
                }

                if (sent == 3 && name == "fake-bad-sse")
                {
                    await context.Response.WriteAsync("data: {\"id\": broken\n\n", ct);
                    await context.Response.Body.FlushAsync(ct);
                    return;
                }

                if (sent == 1 && huge > 0)
                {
                    // One event of `huge` bytes on one line: a chunk with no choices and a long unknown field.
                    await context.Response.WriteAsync($"data: {{\"id\":\"{id}\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"{model}\",\"choices\":[],\"padding\":\"", ct);
                    await WritePadding(context, huge, ct);
                    await context.Response.WriteAsync("\"}\n\n", ct);
                }

                if (sent == 3 && name == "fake-reset")
                {
                    // A reset drops whatever the peer has not read yet; give the chunks a moment to land.
                    await Task.Delay(100, ct);
                    context.Abort();
                    return;
                }
            }
        }

        await Event(context, Chunk(id, model, new JsonObject(), finish), ct);
        if (body["stream_options"]?["include_usage"]?.GetValue<bool>() == true)
        {
            var usageChunk = new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion.chunk",
                ["created"] = 1_700_000_000,
                ["model"] = model,
                ["choices"] = new JsonArray(),
                ["usage"] = usage,
            };
            await Event(context, usageChunk, ct);
        }

        await context.Response.WriteAsync("data: [DONE]\n\n", ct);
        await context.Response.Body.FlushAsync(ct);
    }

    private const int Mebibyte = 1024 * 1024;

    private static async Task WritePadding(HttpContext context, int bytes, CancellationToken ct)
    {
        var piece = new byte[64 * 1024];
        Array.Fill(piece, (byte)'a');
        for (var written = 0; written < bytes; written += piece.Length)
        {
            await context.Response.Body.WriteAsync(piece.AsMemory(0, Math.Min(piece.Length, bytes - written)), ct);
            await context.Response.Body.FlushAsync(ct);
        }
    }

    private static Task WriteLeakyError(HttpContext context, string key)
    {
        var bearer = Convert.ToBase64String(Encoding.UTF8.GetBytes($"Bearer {key}"));
        context.Response.StatusCode = 400;
        context.Response.ContentType = "application/json";
        var error = new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["message"] = $"bad request for key starting {key[..12]}, ending {key[^12..]}, upper {key.ToUpperInvariant()}, auth {bearer}",
                ["type"] = $"invalid_request_error {key[4..16]}",
                ["code"] = $"code-{key[^10..]}",
                ["param"] = key,
                ["key"] = key,
            },
            ["detail"] = $"whole key {key}",
        };
        return context.Response.WriteAsync(error.ToJsonString());
    }

    public static Task WriteError(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var error = new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = "fake_error", ["param"] = null, ["code"] = status.ToString() },
        };
        return context.Response.WriteAsync(error.ToJsonString());
    }

    /// <summary>Pieces that concatenate back to the text: each word with the space before it.</summary>
    public static IEnumerable<string> Words(string text) => WordPattern().Matches(text).Select(m => m.Value);

    private static JsonObject Chunk(string id, string model, JsonObject delta, string? finish) => new()
    {
        ["id"] = id,
        ["object"] = "chat.completion.chunk",
        ["created"] = 1_700_000_000,
        ["model"] = model,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish, ["logprobs"] = null }),
    };

    private static JsonObject ToolDelta(int index, string? id, string? name, string arguments)
    {
        var call = new JsonObject { ["index"] = index };
        if (id is not null)
        {
            call["id"] = id;
            call["type"] = "function";
        }

        var function = new JsonObject { ["arguments"] = arguments };
        if (name is not null)
        {
            function["name"] = name;
        }

        call["function"] = function;
        return new JsonObject { ["tool_calls"] = new JsonArray(call) };
    }

    private static async Task Event(HttpContext context, JsonObject data, CancellationToken ct)
    {
        await context.Response.WriteAsync($"data: {data.ToJsonString()}\n\n", ct);
        await context.Response.Body.FlushAsync(ct);
    }

    private static JsonObject Usage(int prompt, int completion, bool details)
    {
        var usage = new JsonObject
        {
            ["prompt_tokens"] = prompt,
            ["completion_tokens"] = completion,
            ["total_tokens"] = prompt + completion,
        };
        if (details)
        {
            usage["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = 3 };
            usage["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 5 };
        }

        return usage;
    }

    private static string ContentOf(JsonObject message)
    {
        var content = message["content"];
        if (content is null)
        {
            return string.Empty;
        }

        if (content.GetValueKind() == JsonValueKind.String)
        {
            return content.GetValue<string>();
        }

        var text = new StringBuilder();
        foreach (var part in content.AsArray())
        {
            text.Append(part?["text"]?.GetValue<string>());
        }

        return text.ToString();
    }

    private static int CountWords(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    [GeneratedRegex(@"^fake-fail(\d+)-(\d{3})$")]
    private static partial Regex FailPattern();

    [GeneratedRegex(@"^fake-fail(\d+)-429-after(\d+)ms$")]
    private static partial Regex RateLimitPattern();

    [GeneratedRegex(@"^fake-redirect-(\d+)$")]
    private static partial Regex RedirectPattern();

    [GeneratedRegex(@"\s*\S+\s*$|\s*\S+")]
    private static partial Regex WordPattern();

    private sealed record ToolCallAnswer(string Id, string Name, string Arguments);
}
