// A small agent, written from clients/csharp/README.md: a unary call, a stream, a tool round trip
// and an error with its reason, against the daemon at $SIDECAR_SOCKET.
using System.Text.Json;
using Grpc.Core;
using Sidecar.Client;
using Sidecar.V1;

static Message User(string text) => new() { Role = Role.User, Content = text };

using var sidecar = SidecarClient.Create(new SidecarClientOptions { KeyRef = "echo", Model = "echo-1" });
await sidecar.WaitForReadyAsync(TimeSpan.FromSeconds(10));

// 1. Unary
var response = await sidecar.CompleteAsync(new CompleteRequest { Messages = { User("hello sidecar") } });
Console.WriteLine($"unary: {response.Message.Content}");

// 2. Stream
var streamed = await StreamAccumulator.AccumulateAsync(sidecar.StreamCompleteAsync(new CompleteRequest { Messages = { User("one two three") } }));
if (streamed.FinishReason == FinishReason.Stop)
{
    Console.WriteLine($"stream: {streamed.Message.Content}");
}

// 3. Tool round trip
var request = new CompleteRequest
{
    KeyRef = "fake",
    Model = "fake-tools",
    Messages = { User("weather in Paris?") },
    Tools = { new Tool { Name = "get_weather", Description = "Current weather", ParametersJsonSchema = """{"type":"object","properties":{"city":{"type":"string"}}}""" } },
};
response = await sidecar.CompleteAsync(request);
request.Messages.Add(response.Message);
foreach (var call in response.Message.ToolCalls)
{
    var city = JsonDocument.Parse(call.ArgumentsJson).RootElement.GetProperty("city").GetString();
    request.Messages.Add(new Message { Role = Role.Tool, ToolCallId = call.Id, Content = $"sunny in {city}" });
}
Console.WriteLine($"tool: {(await sidecar.CompleteAsync(request)).Message.Content}");

// 4. An error and its reason
try
{
    await sidecar.CompleteAsync(new CompleteRequest { KeyRef = "no-such-key", Messages = { User("hi") } });
    throw new InvalidOperationException("the call succeeded");
}
catch (RpcException ex)
{
    Console.WriteLine($"error: {ex.GetErrorReason()}");
}
