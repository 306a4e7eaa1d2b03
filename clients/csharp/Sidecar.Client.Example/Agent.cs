using System.Text.Json;
using Grpc.Core;
using Sidecar.V1;

namespace Sidecar.Client.Example;

/// <summary>
/// A small agent doing the four things most agents do: one answer, a stream, a tool round trip and
/// an error read by its reason. <c>dotnet run --project clients/csharp/Sidecar.Client.Example -- agent</c>
/// against the daemon's built-in <c>echo</c> key reference (which calls a required tool).
/// </summary>
public static class Agent
{
    public static async Task RunAsync(SidecarClient sidecar, TextWriter output, CancellationToken ct = default)
    {
        // 1. One answer.
        var answer = await sidecar.CompleteAsync(Ask("Name three rivers."), cancellationToken: ct);
        await output.WriteLineAsync($"unary: {answer.Message.Content} [{answer.FinishReason}]");

        // 2. A stream, printed as it comes and merged at the end.
        var accumulator = new StreamAccumulator();
        await foreach (var chunk in sidecar.StreamCompleteAsync(Ask("Tell me a story."), cancellationToken: ct))
        {
            accumulator.Add(chunk);
        }
        await output.WriteLineAsync($"stream: {accumulator.Content} [{accumulator.FinishReason}, {accumulator.Usage?.TotalTokens} tokens]");

        // 3. A tool round trip.
        var request = Ask("What is the weather in Paris?");
        request.Tools.Add(new Tool { Name = "get_weather", ParametersJsonSchema = """{"type":"object","properties":{"text":{"type":"string"}}}""" });
        request.ToolChoice = new ToolChoice { Mode = ToolChoiceMode.Required };
        var first = await sidecar.CompleteAsync(request, cancellationToken: ct);
        request.Messages.Add(first.Message);
        foreach (var call in first.Message.ToolCalls)
        {
            var text = JsonDocument.Parse(call.ArgumentsJson).RootElement.GetProperty("text").GetString();
            request.Messages.Add(new Message { Role = Role.Tool, ToolCallId = call.Id, Content = $"sunny ({text})" });
        }
        request.ToolChoice = null;
        var final = await sidecar.CompleteAsync(request, cancellationToken: ct);
        await output.WriteLineAsync($"tool: {first.Message.ToolCalls[0].Name} -> {final.Message.Content}");

        // 4. An error, read by its reason.
        try
        {
            var wrongKey = Ask("hi");
            wrongKey.KeyRef = "no-such-key";
            await sidecar.CompleteAsync(wrongKey, cancellationToken: ct);
        }
        catch (RpcException ex)
        {
            await output.WriteLineAsync($"error: {ex.StatusCode} {ex.GetErrorReason()} retry={ex.GetRetryDelay()?.ToString() ?? "no"}");
        }
    }

    private static CompleteRequest Ask(string text) => new() { Messages = { new Message { Role = Role.User, Content = text } } };
}
