using Sidecar.FakeUpstream;

// Standalone use (conformance runs, demos): dotnet Sidecar.FakeUpstream.dll [--port N] [--port-file PATH]
var port = 0;
string? portFile = null;
for (var i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--port")
    {
        port = int.Parse(args[i + 1]);
    }
    else if (args[i] == "--port-file")
    {
        portFile = args[i + 1];
    }
}

await using var server = await FakeUpstreamServer.StartAsync(port, Console.WriteLine);
if (portFile is not null)
{
    await File.WriteAllTextAsync(portFile + ".tmp", server.Port.ToString());
    File.Move(portFile + ".tmp", portFile, overwrite: true);
}

try
{
    await Task.Delay(Timeout.Infinite, server.Stopping);
}
catch (OperationCanceledException)
{
    // SIGTERM or Ctrl+C: dispose and exit.
}
