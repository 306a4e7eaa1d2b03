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
catch (Microsoft.Extensions.Options.OptionsValidationException ex)
{
    Console.Error.WriteLine($"sidecar: invalid configuration: {string.Join("; ", ex.Failures)}");
    return 2;
}
