using Sidecar.Client.Tests.Infrastructure;

namespace Sidecar.Client.Tests;

/// <summary>The README's four-task agent (Sidecar.Client.Example/Agent.cs) against the live daemon's echo key reference.</summary>
public sealed class ExampleAgentTests
{
    [ConformanceFact]
    public async Task Agent_RunAsync_AnswersStreamsRunsTheToolAndReadsTheError()
    {
        Daemon.AssertAvailable();
        using var sidecar = SidecarClient.Create(new SidecarClientOptions { SocketPath = Daemon.SocketPath, KeyRef = "echo", Model = "echo-1" });
        await sidecar.WaitForReadyAsync(TimeSpan.FromSeconds(20)).WaitAsync(TimeSpan.FromSeconds(30));
        var output = new StringWriter();

        await Example.Agent.RunAsync(sidecar, output).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(
            [
                "unary: Name three rivers. [Stop]",
                "stream: Tell me a story. [Stop, 8 tokens]",
                "tool: get_weather -> sunny (What is the weather in Paris?)",
                "error: NotFound KEY_REF_NOT_FOUND retry=no",
            ],
            output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')));
    }
}
