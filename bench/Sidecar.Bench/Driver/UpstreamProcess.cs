using System.Diagnostics;

namespace Sidecar.Bench.Driver;

/// <summary>
/// The bench upstream in its own process (this same program, <c>upstream</c> command), so its CPU is
/// neither the daemon's nor the driver's. Also the client of its control endpoints.
/// </summary>
internal sealed class UpstreamProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _control;

    private UpstreamProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Endpoint = new Uri($"http://127.0.0.1:{port}/v1");
        _control = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(90) };
    }

    public int Port { get; }

    public Uri Endpoint { get; }

    public int Pid => _process.Id;

    public static async Task<UpstreamProcess> StartAsync(CancellationToken cancellationToken)
    {
        var self = typeof(UpstreamProcess).Assembly.Location;
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardInput = true };
        info.ArgumentList.Add(self);
        info.ArgumentList.Add("upstream");
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the upstream");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("port=", StringComparison.Ordinal))
        {
            process.Kill();
            throw new InvalidOperationException($"the upstream did not report its port (said '{line}')");
        }

        return new UpstreamProcess(process, int.Parse(line.AsSpan(5), CultureInfo.InvariantCulture));
    }

    public Task WhenArrivedAsync(string id, CancellationToken cancellationToken) => WaitAsync("arrived", id, cancellationToken);

    /// <summary>When the upstream saw the request with this id aborted (its <c>RequestAborted</c> fired).</summary>
    public Task<long> AbortedAtAsync(string id, CancellationToken cancellationToken) => WaitAsync("aborted", id, cancellationToken);

    public async Task<long> RequestsServedAsync(CancellationToken cancellationToken) =>
        long.Parse(await _control.GetStringAsync("bench/requests", cancellationToken), CultureInfo.InvariantCulture);

    private async Task<long> WaitAsync(string what, string id, CancellationToken cancellationToken)
    {
        using var response = await _control.GetAsync($"bench/{what}/{id}?timeoutMs=10000", cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new TimeoutException($"the upstream did not see request {id} {what} within 10 s");
        }

        return long.Parse(await response.Content.ReadAsStringAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        _process.StandardInput.Close();
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
