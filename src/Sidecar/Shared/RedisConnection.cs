using Sidecar.Configuration;
using StackExchange.Redis;

namespace Sidecar.Shared;

/// <summary>
/// The one connection to Redis, made in the background at start when <c>Sidecar:Redis:Configuration</c> is set
/// (nothing connects otherwise). Every operation goes through <see cref="RunAsync{T}"/>, which bounds it by
/// <c>OperationTimeout</c> and reports failure instead of throwing, so the caller applies the fail mode. The
/// multiplexer reconnects by itself; the state is logged once per change (docs/scaling.md, "Failure modes").
/// </summary>
internal sealed class RedisConnection : IHostedService, IAsyncDisposable
{
    private readonly ConfigurationOptions? _settings;
    private readonly string _endpoints = string.Empty;
    private readonly string? _password;
    private readonly TimeSpan _timeout;
    private readonly string _failMode;
    private readonly SharedMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisConnection> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private ConnectionMultiplexer? _multiplexer;
    private Task _connecting = Task.CompletedTask;
    private int _state;
    private int _disposed;
    private TaskCompletionSource _nextChange = NewSignal();

    public RedisConnection(LiveOptions options, SharedMetrics metrics, TimeProvider time, ILogger<RedisConnection> logger)
    {
        var redis = options.Current.Redis;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _timeout = redis.OperationTimeout;
        _failMode = redis.FailMode;
        if (!string.IsNullOrWhiteSpace(redis.Configuration))
        {
            // Validated at start: any problem has already stopped the daemon.
            _settings = RedisSettings.TryBuild(redis, []);
            _endpoints = _settings is null ? string.Empty : RedisSettings.Describe(_settings);
            _password = _settings?.Password;
        }

        _state = (int)(_settings is null ? RedisState.Off : RedisState.Connecting);
    }

    /// <summary>Whether a Redis is configured at all.</summary>
    public bool IsConfigured => _settings is not null;

    public RedisState State => (RedisState)Volatile.Read(ref _state);

    /// <summary>Completes at the next change of <see cref="State"/> (tests wait on it).</summary>
    public Task NextChange => Volatile.Read(ref _nextChange).Task;

    /// <summary>The fail mode in force (read at start, like the connection).</summary>
    public string FailMode => _failMode;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_settings is not null)
        {
            SharedLog.Connecting(_logger, _endpoints, _failMode, _timeout.TotalMilliseconds);
            _connecting = ConnectAsync(_settings);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Runs one operation within the time budget. Ok is false when Redis is not connected, the operation failed or
    /// it ran out of time; the failure is counted and the state change logged. Only the caller's own cancellation throws.
    /// </summary>
    public async ValueTask<(bool Ok, T? Value)> RunAsync<T>(string operation, Func<IDatabase, Task<T>> run, CancellationToken cancellationToken)
    {
        var start = _time.GetTimestamp();
        try
        {
            if (Volatile.Read(ref _multiplexer) is not { } multiplexer)
            {
                // The first attempt is still under way; its outcome is logged when it ends.
                _metrics.Error(operation);
                return (false, default);
            }

            if (!multiplexer.IsConnected)
            {
                Failed(operation, "not connected");
                return (false, default);
            }

            var value = await run(multiplexer.GetDatabase()).WaitAsync(_timeout, _time, cancellationToken).ConfigureAwait(false);
            Changed(RedisState.Up, string.Empty);
            return (true, value);
        }
        catch (TimeoutException)
        {
            Failed(operation, $"no answer within {_timeout.TotalMilliseconds:F0} ms");
            return (false, default);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            Failed(operation, ex.GetType().Name + ": " + Scrub(ex.Message));
            return (false, default);
        }
        finally
        {
            _metrics.Waited(operation, _time.GetElapsedTime(start).TotalSeconds);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered as a singleton and as a hosted service: the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        try
        {
            await _connecting.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or OperationCanceledException)
        {
            // Stopping: nothing is waiting for the connection any more.
        }

        if (Interlocked.Exchange(ref _multiplexer, null) is { } multiplexer)
        {
            await multiplexer.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private async Task ConnectAsync(ConfigurationOptions settings)
    {
        // AbortOnConnectFail is off: this returns a multiplexer that keeps trying in the background even when
        // the first attempt fails, so a daemon started before its Redis catches up by itself.
        ConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await ConnectionMultiplexer.ConnectAsync(settings).WaitAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or ArgumentException or InvalidOperationException)
        {
            // Not expected with AbortOnConnectFail off; without a multiplexer every operation fails and the fail mode applies.
            Changed(RedisState.Down, ex.GetType().Name + ": " + Scrub(ex.Message));
            return;
        }

        // Only the interactive connection carries our commands. The subscription connection fails and comes
        // back on its own, and it may come back first: taking that as "up" announced enforcement again while
        // every command still failed with "not connected" (a test saw the first call after a Redis restart
        // refused by the local budget share).
        multiplexer.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                Changed(RedisState.Down, e.FailureType.ToString());
            }
        };
        multiplexer.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive && multiplexer.IsConnected)
            {
                Changed(RedisState.Up, string.Empty);
            }
        };
        Volatile.Write(ref _multiplexer, multiplexer);
        if (multiplexer.IsConnected)
        {
            Changed(RedisState.Up, string.Empty);
        }
        else
        {
            Changed(RedisState.Down, "the first connection attempt failed; retrying in the background");
        }
    }

    private void Failed(string operation, string why)
    {
        _metrics.Error(operation);
        Changed(RedisState.Down, why);
    }

    private void Changed(RedisState state, string why)
    {
        if (Volatile.Read(ref _state) == (int)state || Interlocked.Exchange(ref _state, (int)state) == (int)state)
        {
            return;
        }

        if (state == RedisState.Up)
        {
            SharedLog.RedisUp(_logger, _endpoints);
        }
        else
        {
            SharedLog.RedisDown(_logger, _endpoints, why, _failMode);
        }

        Interlocked.Exchange(ref _nextChange, NewSignal()).TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Client messages describe the configuration without its password; this makes sure of it.</summary>
    private string Scrub(string message) =>
        string.IsNullOrEmpty(_password) ? message : message.Replace(_password, "***", StringComparison.Ordinal);
}
