using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Sidecar.Diagnostics;

namespace Sidecar.Configuration;

/// <summary>
/// The settings in force. They are read the one way settings are read, <see cref="Read"/>, at start and
/// on every change: valid ones replace the old, invalid ones are refused with a log line and the old ones
/// stay. A settings file that is gone or does not parse is refused the same way. Most settings apply
/// live: key references, the keys directory, default endpoint, refresh interval, request limits but
/// <c>MaxRequestBytes</c>, resilience, and each key ref's routing, limits, budget and cache. The rest are
/// read once at start by what they build (listeners, the socket, cache sizes, the upstream pool, Redis;
/// <see cref="StartOnlySettings"/> lists them, <c>IOptions&lt;SidecarOptions&gt;</c> holds that first
/// reading): a change that touches any of them is refused as a whole, naming them, since applying the
/// rest would log it as taken while those stay as they were (docs/design.md, "Configuration").
/// </summary>
internal sealed class LiveOptions : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly SidecarOptionsValidator _validator;
    private readonly ILogger<LiveOptions> _logger;
    private readonly IDisposable _subscription;
    private readonly JsonFileConfigurationProvider[] _files = [];
    private SidecarOptions _current;
    private TaskCompletionSource _nextReload = NewSignal();

    /// <param name="configuration">The sources, watched for changes.</param>
    /// <param name="initial">The settings read at start, already validated.</param>
    public LiveOptions(IConfiguration configuration, IOptions<SidecarOptions> initial, SidecarOptionsValidator validator, ILogger<LiveOptions> logger)
    {
        _configuration = configuration;
        _validator = validator;
        _logger = logger;
        _current = initial.Value;
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
        _validator = new SidecarOptionsValidator();
        _logger = Microsoft.Extensions.Logging.Abstractions.NullLogger<LiveOptions>.Instance;
        _current = fixedOptions;
        _subscription = new CancellationTokenSource();
    }

    public SidecarOptions Current => Volatile.Read(ref _current);

    /// <summary>Raised after a valid new configuration replaced the old one.</summary>
    public event Action<SidecarOptions>? Changed;

    /// <summary>Completes when the next reload attempt ends, applied or refused (tests wait on it).</summary>
    public Task NextReload => Volatile.Read(ref _nextReload).Task;

    /// <summary>
    /// Binds the <c>Sidecar</c> section and validates it as a whole: the one way settings are read,
    /// at start and on every reload.
    /// </summary>
    /// <exception cref="InvalidConfigurationException">A value does not convert, or the settings are invalid; every problem is listed.</exception>
    public static SidecarOptions Read(IConfiguration configuration, SidecarOptionsValidator validator)
    {
        SidecarOptions options;
        try
        {
            options = configuration.GetSection(SidecarOptions.SectionName).Get<SidecarOptions>() ?? new SidecarOptions();
        }
        catch (InvalidOperationException ex)
        {
            // The binder stops at the first value it cannot convert, such as "abc" for a port.
            throw new InvalidConfigurationException([ex.Message]);
        }

        var problems = validator.Validate(options);
        return problems.Count == 0 ? options : throw new InvalidConfigurationException(problems);
    }

    private void Reload()
    {
        var signal = Interlocked.Exchange(ref _nextReload, NewSignal());
        try
        {
            SidecarOptions next;
            try
            {
                next = Read(_configuration, _validator);
            }
            catch (InvalidConfigurationException ex)
            {
                Log.ConfigurationRefused(_logger, string.Join("; ", ex.Problems));
                return;
            }

            if (StartOnlySettings.Refusal(Current, next) is { } change)
            {
                Log.ConfigurationRefused(_logger, change);
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
