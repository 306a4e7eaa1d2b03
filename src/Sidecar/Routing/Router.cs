using System.Runtime.CompilerServices;
using Sidecar.Configuration;
using Sidecar.Diagnostics;
using Sidecar.Errors;
using Sidecar.Keys;
using Sidecar.Resilience;
using Sidecar.Upstream;
using Sidecar.V1;

namespace Sidecar.Routing;

/// <summary>
/// Chooses the target of each call and moves on when one fails in a way worth falling back on
/// (docs/design.md, "Routing"). It runs after authorization and the model allow-list, which apply to the
/// key ref the agent named; each target then goes through its own limits, resilience (retries, breakers)
/// and provider, exactly as a plain key ref does. A key ref with no pool and no fallbacks takes a short
/// path with nothing to choose. A stream is committed to a target once its first chunk arrived: from
/// then on nothing falls back.
/// </summary>
internal sealed class Router(
    RoutePlans plans,
    KeyResolver keys,
    ChatProviders providers,
    CircuitBreakers breakers,
    LocalLimits limits,
    IReasonNames reasons,
    LiveOptions options,
    SidecarMetrics metrics,
    TimeProvider time,
    ILogger<Router> logger)
{
    private const string CircuitOpen = "CIRCUIT_OPEN";
    private const string LocalLimit = "LOCAL_LIMIT";

    /// <summary>The whole answer, with <see cref="CompleteResponse.ServedBy"/> saying who gave it.</summary>
    public async Task<CompleteResponse> CompleteAsync(CompleteRequest request, ResolvedKey named, DateTime deadline, RouteProgress progress, CancellationToken cancellationToken)
    {
        var plan = plans.For(named.KeyRef);
        if (plan.IsSingle)
        {
            var model = Alone(request, named, progress);
            var response = await providers.For(named.Provider).CompleteAsync(request, named, model, deadline, cancellationToken).ConfigureAwait(false);
            response.ServedBy = Served(named.KeyRef, model, 1);
            return response;
        }

        var (answer, served) = await RunAsync(
            plan,
            request,
            named,
            deadline,
            progress,
            static async (provider, request, key, model, deadline, lease, token) =>
            {
                using (lease)
                {
                    return await provider.CompleteAsync(request, key, model, deadline, token).ConfigureAwait(false);
                }
            },
            cancellationToken).ConfigureAwait(false);
        answer.ServedBy = served;
        return answer;
    }

    /// <summary>
    /// The stream of the first target that gives a first chunk, its final chunk saying who answered;
    /// <paramref name="committed"/> hears it as soon as the router committed, before the first chunk.
    /// </summary>
    public async IAsyncEnumerable<CompleteChunk> StreamAsync(
        CompleteRequest request,
        ResolvedKey named,
        DateTime deadline,
        RouteProgress progress,
        Action<ServedBy>? committed,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var stream = await OpenStreamAsync(request, named, deadline, progress, cancellationToken).ConfigureAwait(false);
        committed?.Invoke(stream.ServedBy);
        while (await stream.MoveNextAsync().ConfigureAwait(false))
        {
            var chunk = stream.Current;
            if (chunk.FinishReason != FinishReason.Unspecified)
            {
                chunk.ServedBy ??= stream.ServedBy;
            }

            yield return chunk;
        }
    }

    /// <summary>
    /// Opens the stream on the first target that gives a first chunk; failures before it move on like a
    /// failed call. The caller enumerates the result (first chunk included) and disposes it.
    /// </summary>
    private async Task<RoutedStream> OpenStreamAsync(CompleteRequest request, ResolvedKey named, DateTime deadline, RouteProgress progress, CancellationToken cancellationToken)
    {
        var plan = plans.For(named.KeyRef);
        if (plan.IsSingle)
        {
            var model = Alone(request, named, progress);
            return await OpenAsync(providers.For(named.Provider), request, named, model, deadline, Served(named.KeyRef, model, 1), lease: null, cancellationToken).ConfigureAwait(false);
        }

        var (stream, _) = await RunAsync(
            plan,
            request,
            named,
            deadline,
            progress,
            (provider, request, key, model, deadline, lease, token) =>
                OpenAsync(provider, request, key, model, deadline, Served(key.KeyRef, model, progress.Attempts), lease, token),
            cancellationToken).ConfigureAwait(false);
        return stream;
    }

    /// <summary>The short path: the named key ref is the one target; returns the model it calls.</summary>
    private static string Alone(CompleteRequest request, ResolvedKey named, RouteProgress progress)
    {
        progress.Target = named.KeyRef;
        progress.Attempts = 1;
        return named.Routing.ModelFor(request.Model);
    }

    private static async Task<RoutedStream> OpenAsync(
        IChatProvider provider,
        CompleteRequest request,
        ResolvedKey key,
        string model,
        DateTime deadline,
        ServedBy served,
        IDisposable? lease,
        CancellationToken cancellationToken)
    {
        var chunks = provider.StreamAsync(request, key, model, deadline, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            var hasFirst = await chunks.MoveNextAsync().ConfigureAwait(false);
            return new RoutedStream(chunks, hasFirst, served, lease);
        }
        catch
        {
            await chunks.DisposeAsync().ConfigureAwait(false);
            lease?.Dispose();
            throw;
        }
    }

    private delegate Task<T> Attempt<T>(IChatProvider provider, CompleteRequest request, ResolvedKey key, string model, DateTime deadline, IDisposable lease, CancellationToken cancellationToken);

    private async Task<(T Value, ServedBy Served)> RunAsync<T>(
        RoutePlan plan,
        CompleteRequest request,
        ResolvedKey named,
        DateTime deadline,
        RouteProgress progress,
        Attempt<T> attempt,
        CancellationToken cancellationToken)
    {
        var call = new RouteCall<T>(request, named, deadline, progress, attempt);
        var log = new AttemptLog();
        var skipped = new List<RouteMember>();
        var lastResort = (RouteMember?)null;
        SidecarException? last = null;
        (string From, string Reason)? pending = null;

        foreach (var group in plan.Groups)
        {
            skipped.Clear();
            var order = TargetChooser.Order(group, m => SkipReason(group, m, request.Model, named) is null, skipped);
            foreach (var member in skipped)
            {
                // A breaker or a full limit would refuse the call: it moves on at once, as a refusal would.
                var reason = SkipReason(group, member, request.Model, named) ?? CircuitOpen;
                log.Add(member.KeyRef, reason, skipped: true);
                lastResort ??= member;
                pending = (member.KeyRef, reason);
            }

            foreach (var member in order)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (pending is { } from)
                {
                    FallingBack(named, from.From, member.KeyRef, from.Reason);
                }

                var result = await TryAsync(member, call, cancellationToken).ConfigureAwait(false);
                if (result.Failure is null)
                {
                    return (result.Value!, Served(member.KeyRef, result.Model, progress.Attempts));
                }

                last = result.Failure;
                var why = reasons.Of(last.Error);
                log.Add(member.KeyRef, why);
                if (!MoveOn(last, why, group, deadline))
                {
                    throw WithAttempts(last, log);
                }

                pending = (member.KeyRef, why);
            }
        }

        if (progress.Attempts == 0 && lastResort is not null)
        {
            // Every target was skipped: call one anyway, so the caller hears the breaker's or the limit's
            // own answer (with its RetryInfo), as from a key ref without routing.
            var result = await TryAsync(lastResort, call, cancellationToken).ConfigureAwait(false);
            if (result.Failure is null)
            {
                return (result.Value!, Served(lastResort.KeyRef, result.Model, progress.Attempts));
            }

            last = result.Failure;
        }

        throw WithAttempts(last ?? SidecarErrors.NoTarget(named.KeyRef), log);
    }

    /// <summary>One target, once (its own retries included): the value, or the failure that routing may act on.</summary>
    private async Task<(T? Value, string Model, SidecarException? Failure)> TryAsync<T>(RouteMember member, RouteCall<T> call, CancellationToken cancellationToken)
    {
        call.Progress.Target = member.KeyRef;
        call.Progress.Attempts++;
        var model = call.Request.Model;
        try
        {
            var key = KeyOf(member, call.Named);
            model = key.Routing.ModelFor(call.Request.Model);
            var value = await call.Attempt(providers.For(key.Provider), call.Request, key, model, call.Deadline, member.Enter(), cancellationToken).ConfigureAwait(false);
            return (value, model, null);
        }
        catch (SidecarException failure) when (!cancellationToken.IsCancellationRequested)
        {
            return (default, model, failure);
        }
    }

    private ResolvedKey KeyOf(RouteMember member, ResolvedKey named) =>
        string.Equals(member.KeyRef, named.KeyRef, StringComparison.Ordinal) ? named : keys.Resolve(member.KeyRef);

    /// <summary>Why a member would refuse the call now (a reason its step falls back on), or null when it can take it.</summary>
    private string? SkipReason(RouteGroup group, RouteMember member, string requested, ResolvedKey named)
    {
        var skipOpen = group.FallbackOn.Contains(CircuitOpen);
        var skipFull = group.FallbackOn.Contains(LocalLimit);
        if (!skipOpen && !skipFull)
        {
            return null;
        }

        ResolvedKey key;
        try
        {
            key = KeyOf(member, named);
        }
        catch (SidecarException)
        {
            return null; // The attempt will say why.
        }

        if (skipOpen && breakers.Refuses(key, key.Routing.ModelFor(requested)))
        {
            return CircuitOpen;
        }

        return skipFull && limits.IsFull(key) ? LocalLimit : null;
    }

    /// <summary>
    /// Whether a failed target hands the call on: a reason its step falls back on, never a request at
    /// fault (INVALID_ARGUMENT), and only while the deadline leaves room for another attempt.
    /// </summary>
    private bool MoveOn(SidecarException failure, string reason, RouteGroup group, DateTime deadline) =>
        !reasons.IsInvalidArgument(failure.Error)
        && failure.Error != SidecarError.UpstreamStreamBroken
        && group.FallbackOn.Contains(reason)
        && deadline - time.GetUtcNow().UtcDateTime >= options.Current.Resilience.Retry.MinAttemptTime;

    private void FallingBack(ResolvedKey named, string from, string to, string reason)
    {
        metrics.Fallback(from, to, reason);
        RoutingLog.FallingBack(logger, named.KeyRef, from, reason, to);
    }

    /// <summary>The last target's error, with every target tried and why in <c>ErrorInfo.metadata["attempts"]</c>.</summary>
    private static SidecarException WithAttempts(SidecarException last, AttemptLog log) => SidecarErrors.AfterAttempts(last, log.ToString(), log.Count);

    private static ServedBy Served(string keyRef, string model, int attempts) => new() { KeyRef = keyRef, Model = model, Attempts = attempts };

    /// <summary>What every attempt of one routed call shares.</summary>
    private sealed record RouteCall<T>(CompleteRequest Request, ResolvedKey Named, DateTime Deadline, RouteProgress Progress, Attempt<T> Attempt);
}
