// A small agent, written from clients/csharp/README.md: a unary call, a stream, a tool round trip
// and an error with its reason, against the daemon at $SIDECAR_SOCKET.
using System.Text.Json;
using Grpc.Core;
using Sidecar.Client;
using Sidecar.V1;

static Message User(string text) => new() { Role = Role.User, Content = text };

using var sidecar = SidecarChannel.Create();
await sidecar.WaitForReadyAsync(TimeSpan.FromSeconds(10));

// 1. Unary
var response = await sidecar.Completions.CompleteAsync(new CompleteRequest { KeyRef = "echo", Model = "echo-1", Messages = { User("hello sidecar") } });
Console.WriteLine($"unary: {response.Message.Content}");

// 2. Stream
using (var call = sidecar.Completions.StreamComplete(new CompleteRequest { KeyRef = "echo", Model = "echo-1", Messages = { User("one two three") } }))
{
    var text = "";
    await foreach (var chunk in call.ResponseStream.ReadAllAsync())
    {
        text += chunk.ContentDelta;
        if (chunk.FinishReason == FinishReason.Stop)
        {
            Console.WriteLine($"stream: {text}");
        }
    }
}

// 3. Tool round trip
var weather = new Tool { Name = "get_weather", Description = "Current weather", ParametersJsonSchema = """{"type":"object","properties":{"city":{"type":"string"}}}""" };
var request = new CompleteRequest { KeyRef = "fake", Model = "fake-tools", Messages = { User("weather in Paris?") }, Tools = { weather } };
response = await sidecar.Completions.CompleteAsync(request);
request.Messages.Add(response.Message);
foreach (var toolCall in response.Message.ToolCalls)
{
    var city = JsonDocument.Parse(toolCall.ArgumentsJson).RootElement.GetProperty("city").GetString();
    request.Messages.Add(new Message { Role = Role.Tool, ToolCallId = toolCall.Id, Content = $"sunny in {city}" });
}
response = await sidecar.Completions.CompleteAsync(request);
Console.WriteLine($"tool: {response.Message.Content}");

// 4. An error and its reason
try
{
    await sidecar.Completions.CompleteAsync(new CompleteRequest { KeyRef = "no-such-key", Model = "m", Messages = { User("hi") } });
    throw new InvalidOperationException("the call succeeded");
}
catch (RpcException ex)
{
    Console.WriteLine($"error: {ex.GetErrorReason()}");
}
