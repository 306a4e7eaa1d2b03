using Microsoft.Extensions.Primitives;
using Sidecar.Diagnostics;

namespace Sidecar.Configuration;

/// <summary>
/// The settings that take effect without a restart (key references, the keys directory, default
/// endpoint, refresh interval, request limits). When the configuration changes, the new settings are
/// validated as a whole: valid ones replace the old, invalid ones are refused with a log line and the
/// old ones stay. A settings file that is gone or does not parse is refused the same way. Listeners, ports and cache sizes are read once at start.
/// </summary>
internal sealed class LiveOptions : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly SidecarOptionsValidator _validator = new();
    private readonly ILogger<LiveOptions> _logger;
    private readonly IDisposable _subscription;
    private readonly JsonFileConfigurationProvider[] _files = [];
    private SidecarOptions _current;
    private TaskCompletionSource _nextReload = NewSignal();

    public LiveOptions(IConfiguration configuration, ILogger<LiveOptions> logger)
    {
        _configuration = configuration;
        _logger = logger;
        _current = Bind(configuration);
        _subscription = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
        _files = configuration is IConfigurationRoot root ? [.. root.Providers.OfType<JsonFileConfigurationProvider>()] : [];
        foreach (var file in _files)
        {
            file.ReloadRefused += Refused;
        }
    }

    /// <summary>Fixed settings that never reload, for tests and tools.</summary>
    internal LiveOptions(SidecarOptions fixedOptions)
    {
        _configuration = new ConfigurationBuilder().Build();
        _logger = Microsoft.Extensions.Logging.Abstractions.NullLogger<LiveOptions>.Instance;
        _current = fixedOptions;
        _subscription = new CancellationTokenSource();
    }

    public SidecarOptions Current => Volatile.Read(ref _current);

    /// <summary>Raised after a valid new configuration replaced the old one.</summary>
    public event Action<SidecarOptions>? Changed;

    /// <summary>Completes when the next reload attempt ends, applied or refused (tests wait on it).</summary>
    public Task NextReload => Volatile.Read(ref _nextReload).Task;

    public static SidecarOptions Bind(IConfiguration configuration) =>
        configuration.GetSection(SidecarOptions.SectionName).Get<SidecarOptions>() ?? new SidecarOptions();

    private void Reload()
    {
        var signal = Interlocked.Exchange(ref _nextReload, NewSignal());
        try
        {
            SidecarOptions next;
            try
            {
                next = Bind(_configuration);
            }
            catch (InvalidOperationException ex)
            {
                Log.ConfigurationRefused(_logger, ex.Message);
                return;
            }

            var result = _validator.Validate(null, next);
            if (result.Failed)
            {
                Log.ConfigurationRefused(_logger, string.Join("; ", result.Failures));
                return;
            }

            Volatile.Write(ref _current, next);
            Log.ConfigurationReloaded(_logger, next.Keys.Count);
            Changed?.Invoke(next);
        }
        finally
        {
            signal.TrySetResult();
        }
    }

    /// <summary>A settings file changed but could not be read (gone, not JSON): nothing changes.</summary>
    private void Refused(string problem)
    {
        var signal = Interlocked.Exchange(ref _nextReload, NewSignal());
        Log.ConfigurationRefused(_logger, problem);
        signal.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.ReloadRefused -= Refused;
        }

        _subscription.Dispose();
    }
}
