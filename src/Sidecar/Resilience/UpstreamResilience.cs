using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.Errors;
using Sidecar.Keys;

namespace Sidecar.Resilience;

/// <summary>
/// Runs upstream attempts through one Polly retry pipeline and, inside it, the key's, the model's and the
/// endpoint's circuit breakers: <c>retry → key breaker → model breaker → endpoint breaker → attempt</c>. The retry rules are
/// <see cref="RetryPlanner"/>'s, read from the live configuration at every decision, so a retry is never
/// started past the call's deadline. What escapes is a <see cref="SidecarException"/> (or the caller's
/// cancellation): the provider never sees Polly's types.
/// </summary>
internal sealed class UpstreamResilience
{
    /// <summary>Polly's own ceiling; the configured <see cref="RetryOptions.MaxRetries"/> (validated to at most 10) decides.</summary>
    private const int RetryCeiling = 10;

    private static readonly ResiliencePropertyKey<DateTime> DeadlineKey = new("sidecar.deadline");
    private static readonly ResiliencePropertyKey<TimeSpan> DelayKey = new("sidecar.retry_delay");
    private static readonly ResiliencePropertyKey<ResolvedKey> KeyKey = new("sidecar.key");

    private readonly LiveOptions _options;
    private readonly CircuitBreakers _breakers;
    private readonly IUpstreamFailureClassifier _failures;
    private readonly SidecarMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<double> _random;
    private readonly ResiliencePipeline _retry;

    public UpstreamResilience(LiveOptions options, CircuitBreakers breakers, IUpstreamFailureClassifier failures, SidecarMetrics metrics, TimeProvider time, ILogger<UpstreamResilience> logger)
        : this(options, breakers, failures, metrics, time, logger, Random.Shared.NextDouble)
    {
    }

    internal UpstreamResilience(LiveOptions options, CircuitBreakers breakers, IUpstreamFailureClassifier failures, SidecarMetrics metrics, TimeProvider time, ILogger logger, Func<double> random)
    {
        _options = options;
        _breakers = breakers;
        _failures = failures;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _random = random;
        _retry = new ResiliencePipelineBuilder { TimeProvider = time, Name = "upstream-retry" }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = RetryCeiling,
                BackoffType = DelayBackoffType.Constant,
                Delay = TimeSpan.Zero,
                UseJitter = false,
                ShouldHandle = ShouldRetry,
                DelayGenerator = static args => ValueTask.FromResult<TimeSpan?>(args.Context.Properties.GetValue(DelayKey, TimeSpan.Zero)),
                OnRetry = args =>
                {
                    var key = args.Context.Properties.GetValue(KeyKey, null!);
                    ResilienceLog.Retrying(_logger, key.Endpoint.Authority, key.KeyRef, args.RetryDelay.TotalMilliseconds, args.AttemptNumber + 1, _failures.Describe(args.Outcome.Exception));
                    return default;
                },
            })
            .Build();
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> until it succeeds, a failure is not worth retrying, the retries are
    /// used up or the deadline is too near. Each attempt gets the call's token; an attempt that uses timers
    /// of its own throws an exception that the classifier calls a timeout when one fires.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(ResolvedKey key, string model, DateTime deadline, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        var keyBreaker = _breakers.ForKey(key);
        var modelBreaker = _breakers.ForModel(key.Endpoint, model);
        var endpointBreaker = _breakers.ForEndpoint(key.Endpoint);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(DeadlineKey, deadline);
        context.Properties.Set(KeyKey, key);
        var tries = 0;
        Exception? lastFailure = null;
        try
        {
            return await _retry.ExecuteAsync(
                ctx => Through<T>(keyBreaker, ctx, c => Through<T>(modelBreaker, c, c1 => Through<T>(endpointBreaker, c1, async c2 =>
                {
                    // Counted here, where the upstream is really called: a refusal by a breaker is no attempt.
                    _metrics.UpstreamAttempt(retry: tries++ > 0);
                    try
                    {
                        return await attempt(c2.CancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        lastFailure = ex;
                        throw;
                    }
                }))),
                context).ConfigureAwait(false);
        }
        catch (SidecarException open) when (open.Error == SidecarError.CircuitOpen && lastFailure is not null && !cancellationToken.IsCancellationRequested)
        {
            // This call's own failed attempts opened the breaker before its retry: what the caller needs
            // to hear is the upstream's failure, not that we refused a call we had in fact made.
            throw _failures.ToCallerError(lastFailure, key);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not SidecarException)
        {
            throw _failures.ToCallerError(ex, key);
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // The caller went away (or the deadline passed) and the transport failed because of it.
            throw new OperationCanceledException("The call was cancelled.", ex, cancellationToken);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static async ValueTask<T> Through<T>(Breaker? breaker, ResilienceContext context, Func<ResilienceContext, ValueTask<T>> inner)
    {
        if (breaker is null)
        {
            return await inner(context).ConfigureAwait(false);
        }

        try
        {
            return await breaker.Pipeline.ExecuteAsync(static (ctx, next) => next(ctx), context, inner).ConfigureAwait(false);
        }
        catch (BrokenCircuitException open)
        {
            throw CircuitOpen(breaker, open, context.Properties.GetValue(KeyKey, null!));
        }
    }

    private static SidecarException CircuitOpen(Breaker breaker, BrokenCircuitException open, ResolvedKey key)
    {
        var what = breaker.Scope switch
        {
            CircuitBreakers.KeyScope => $"key_ref '{breaker.Name}'",
            CircuitBreakers.ModelScope => $"model '{breaker.Name}' at the upstream {breaker.Endpoint}",
            _ => $"the upstream {breaker.Name}",
        };
        return SidecarErrors.CircuitOpen(
            $"Calls to {what} are paused after repeated failures (last: {breaker.LastFailure ?? "unknown"}); the sidecar did not call the upstream.",
            key.KeyRef,
            key.Endpoint.Authority,
            breaker.Scope,
            breaker.Scope == CircuitBreakers.ModelScope ? breaker.Name : null,
            breaker.LastFailure,
            open.RetryAfter is { } after && after > TimeSpan.Zero ? after : null,
            open);
    }

    private ValueTask<bool> ShouldRetry(RetryPredicateArguments<object> args)
    {
        if (args.Outcome.Exception is not { } exception || args.Context.CancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromResult(false);
        }

        var decision = RetryPlanner.Decide(
            exception,
            _failures,
            args.AttemptNumber,
            _time.GetUtcNow(),
            args.Context.Properties.GetValue(DeadlineKey, DateTime.MaxValue),
            _options.Current.Resilience.Retry,
            _random());
        args.Context.Properties.Set(DelayKey, decision.Delay);
        return ValueTask.FromResult(decision.Retry);
    }
}
