using System.Diagnostics;
using Grpc.Core;
using Sidecar.Diagnostics;
using Sidecar.Errors;
using Sidecar.Keys;
using Sidecar.Resilience;
using Sidecar.ResponseCache;
using Sidecar.Routing;
using Sidecar.V1;

namespace Sidecar.Api;

/// <summary>
/// The one path every call takes, whatever door it came through: admission (shutdown, deadline),
/// validation, key resolution, caller authorization, then the router, which picks each target in turn
/// (limits, resilience, upstream: docs/design.md, "Routing").
/// It writes one log line, one span and the request metrics per call, and turns every failure into a
/// <see cref="CallFailedException"/> that the door renders in its own shape (docs/design.md, "The request path").
/// </summary>
internal sealed class CompletionPipeline(
    RequestValidator validator,
    KeyResolver keys,
    Router router,
    CachedResponses responses,
    CallTracker calls,
    CallDeadlines deadlines,
    SidecarMetrics metrics,
    TimeProvider time,
    ILogger<CompletionPipeline> logger)
{
    public async Task<CompleteResponse> CompleteAsync(CompleteRequest request, CallDoor door)
    {
        var outcome = new CallOutcome(time.GetTimestamp());
        using var activity = SidecarTelemetry.ActivitySource.StartActivity("sidecar." + door.Rpc, ActivityKind.Internal);
        try
        {
            using var call = calls.Enter(door.Aborted);
            using var deadline = outcome.Deadline = deadlines.Start(door.CallerDeadline, call.Token);
            var key = Prepare(request, door, outcome);
            var upstreamStart = time.GetTimestamp();
            var response = await responses.CompleteAsync(request, key, token => router.CompleteAsync(request, key, deadline.Deadline, outcome.Route, token), deadline.Token).ConfigureAwait(false);
            outcome.UpstreamTicks = time.GetTimestamp() - upstreamStart;
            outcome.Usage = response.ServedBy is { Cached: true } ? null : response.Usage;
            return response;
        }
        catch (Exception ex)
        {
            throw Fail(ex, door, request, outcome);
        }
        finally
        {
            Finish(door.Rpc, request, outcome, activity);
        }
    }

    /// <summary>
    /// Streams the answer through <paramref name="write"/>, which is given the caller's own token
    /// (<see cref="CallDoor.Aborted"/>): a write cancelled by the deadline or shutdown token would make
    /// grpc-dotnet reset the stream (CANCELLED, no reason) instead of ending it with our status.
    /// <paramref name="committed"/> hears who answers once the router committed to a target, before the
    /// first chunk is written (the HTTP door sends it as headers; gRPC reads it from the final chunk).
    /// </summary>
    public async Task StreamAsync(CompleteRequest request, CallDoor door, Func<CompleteChunk, CancellationToken, Task> write, Action<ServedBy>? committed = null)
    {
        var outcome = new CallOutcome(time.GetTimestamp());
        using var activity = SidecarTelemetry.ActivitySource.StartActivity("sidecar." + door.Rpc, ActivityKind.Internal);
        metrics.StreamStarted();
        try
        {
            using var call = calls.Enter(door.Aborted);
            using var deadline = outcome.Deadline = deadlines.Start(door.CallerDeadline, call.Token);
            var key = Prepare(request, door, outcome);
            await using var chunks = responses.StreamAsync(request, key, token => router.StreamAsync(request, key, deadline.Deadline, outcome.Route, committed, token), door.CacheHit, deadline.Token)
                .GetAsyncEnumerator(deadline.Token);
            var first = true;
            while (true)
            {
                // Time spent waiting here is the upstream's; the rest of the call is ours.
                var waitStart = time.GetTimestamp();
                var more = await chunks.MoveNextAsync().ConfigureAwait(false);
                outcome.UpstreamTicks += time.GetTimestamp() - waitStart;
                if (!more)
                {
                    break;
                }

                var chunk = chunks.Current;
                if (first)
                {
                    first = false;
                    metrics.FirstToken(time.GetElapsedTime(outcome.Start).TotalSeconds);
                }

                if (chunk.Usage is not null && chunk.ServedBy is not { Cached: true })
                {
                    outcome.Usage = chunk.Usage;
                }

                await write(chunk, door.Aborted).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            throw Fail(ex, door, request, outcome);
        }
        finally
        {
            metrics.StreamEnded();
            Finish(door.Rpc, request, outcome, activity);
        }
    }

    /// <summary>The model label of a call that never reached a key (invalid, unknown key_ref, forbidden).</summary>
    internal const string UnknownLabel = "unknown";

    private ResolvedKey Prepare(CompleteRequest request, CallDoor door, CallOutcome outcome)
    {
        validator.Validate(request);
        var key = keys.Resolve(request.KeyRef);
        CallerAuthorizer.Authorize(key, door.Peer);
        if (key.Models is { } allowed && !allowed.Contains(request.Model))
        {
            throw SidecarErrors.ModelNotAllowed(key.KeyRef, request.Model);
        }

        // Only now are the names worth a metric label: a valid model on a key that exists, the key_ref
        // spelled as configured. Rejected calls are labelled "unknown", so junk cannot take the slots.
        outcome.LabelKeyRef = key.KeyRef;
        outcome.LabelModel = request.Model;
        return key;
    }

    private CallFailedException Fail(Exception exception, CallDoor door, CompleteRequest request, CallOutcome outcome)
    {
        switch (exception)
        {
            case CallFailedException already:
                return already;
            case SidecarException known:
                var (code, reason) = ErrorStatus.Of(known.Error);
                return outcome.Fail(new CallFailedException(code, reason, known.Message, known, known));
            case RpcException rpc:
                return outcome.Fail(new CallFailedException(rpc.StatusCode, string.Empty, rpc.Status.Detail, null, rpc));
            case OperationCanceledException when calls.IsHardStopped && !door.Aborted.IsCancellationRequested:
                var cut = SidecarErrors.ShuttingDown("The sidecar shut down before the call finished; the answer is incomplete.");
                return Fail(cut, door, request, outcome);
            case OperationCanceledException when door.DeadlineReached.IsCancellationRequested || door.CallerDeadline <= time.GetUtcNow().UtcDateTime || outcome.Deadline?.HasPassed == true:
                return outcome.Fail(new CallFailedException(StatusCode.DeadlineExceeded, string.Empty, "The call's deadline passed.", null, exception));
            case OperationCanceledException:
                return outcome.Fail(new CallFailedException(StatusCode.Cancelled, string.Empty, "The caller cancelled the call.", null, exception));
            default:
                Log.UnexpectedFailure(logger, exception, door.Rpc, LogField.Cap(request.KeyRef));
                return outcome.Fail(new CallFailedException(StatusCode.Internal, ErrorStatus.NameOf(ErrorReason.Internal), "The sidecar failed unexpectedly; its log has the details.", null, exception));
        }
    }

    private void Finish(string rpc, CompleteRequest request, CallOutcome outcome, Activity? activity)
    {
        var elapsed = time.GetElapsedTime(outcome.Start);
        var code = outcome.Code;
        var codeName = CodeNames.Of(code);
        double? upstreamSeconds = outcome.UpstreamTicks > 0 ? (double)outcome.UpstreamTicks / time.TimestampFrequency : null;
        var target = outcome.Route.Target ?? SidecarMetrics.NoTarget;
        metrics.RequestFinished(rpc, outcome.LabelModel ?? UnknownLabel, codeName, elapsed.TotalSeconds, upstreamSeconds, target);
        if (outcome.LabelKeyRef is { } labelKeyRef && outcome.LabelModel is { } labelModel)
        {
            metrics.Tokens(labelKeyRef, labelModel, code == StatusCode.OK ? outcome.Usage : null, target);
        }

        if (activity is not null)
        {
            activity.SetTag("sidecar.key_ref", LogField.Cap(request.KeyRef));
            activity.SetTag("gen_ai.request.model", LogField.Cap(request.Model));
            activity.SetTag("rpc.grpc.status_code", (int)code);
            if (code != StatusCode.OK)
            {
                activity.SetStatus(ActivityStatusCode.Error, outcome.Reason);
            }
        }

        Log.CallFinished(
            logger,
            rpc,
            LogField.Cap(request.KeyRef),
            LogField.Cap(request.Model),
            codeName,
            outcome.Reason,
            elapsed.TotalMilliseconds,
            outcome.Usage?.PromptTokens ?? 0,
            outcome.Usage?.CompletionTokens ?? 0,
            Activity.Current?.TraceId.ToString() ?? string.Empty);
    }

    /// <summary>What a call came to, gathered as it runs.</summary>
    private sealed class CallOutcome(long start)
    {
        public long Start { get; } = start;

        public long UpstreamTicks { get; set; }

        /// <summary>The call's deadline, the caller's or the default one.</summary>
        public CallDeadline? Deadline { get; set; }

        public V1.Usage? Usage { get; set; }

        /// <summary>The target the router is on, and the attempts so far.</summary>
        public RouteProgress Route { get; } = new();

        /// <summary>The key_ref as configured, once the call reached a key; null before.</summary>
        public string? LabelKeyRef { get; set; }

        /// <summary>The model, once it passed validation and the key's allow-list; null before.</summary>
        public string? LabelModel { get; set; }

        public StatusCode Code { get; private set; } = StatusCode.OK;

        public string Reason { get; private set; } = string.Empty;

        public CallFailedException Fail(CallFailedException failure)
        {
            Code = failure.Code;
            Reason = failure.Reason;
            return failure;
        }
    }
}
