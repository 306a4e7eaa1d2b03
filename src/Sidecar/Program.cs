using Sidecar.Configuration;
using Sidecar.Hosting;

try
{
    var app = SidecarApp.Create(args);
    await app.RunAsync();
    return 0;
}
catch (InvalidConfigurationException ex)
{
    Console.Error.WriteLine($"sidecar: {ex.Message}");
    return 2;
}
catch (SocketFileException ex)
{
    Console.Error.WriteLine($"sidecar: {ex.Message}");
    return 3;
}
