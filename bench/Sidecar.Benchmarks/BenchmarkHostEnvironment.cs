using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.FileProviders;

namespace Sidecar.Benchmarks;

/// <summary>The little of a host environment that the daemon's registrations may ask for.</summary>
internal sealed class BenchmarkHostEnvironment : IWebHostEnvironment
{
    public string ApplicationName { get; set; } = "Sidecar.Benchmarks";

    public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();

    public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

    public string EnvironmentName { get; set; } = "Production";

    public IFileProvider WebRootFileProvider { get; set; } = new NullFileProvider();

    public string WebRootPath { get; set; } = AppContext.BaseDirectory;
}
