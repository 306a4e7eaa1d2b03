using System.Diagnostics;
using Grpc.Core;
using Sidecar.Diagnostics;
using Sidecar.Errors;
using Sidecar.Hosting;
using Sidecar.Keys;
using Sidecar.Resilience;
using Sidecar.Upstream;
using Sidecar.V1;

namespace Sidecar.Api;

/// <summary>
/// The thin gRPC layer: validate, resolve the key, hand over to the provider, map every failure to a
/// status in one place, and write one log line per call.
/// </summary>
internal sealed class CompletionsService(
    RequestValidator validator,
    KeyResolver keys,
    ChatProviders providers,
    CallTracker calls,
    CallDeadlines deadlines,
    SidecarMetrics metrics,
    TimeProvider time,
    ILogger<CompletionsService> logger) : Completions.CompletionsBase
{
    private const string CompleteRpc = "Complete";
    private const string StreamRpc = "StreamComplete";

    public override async Task<CompleteResponse> Complete(CompleteRequest request, ServerCallContext context)
    {
        var outcome = new CallOutcome(time.GetTimestamp());
        using var activity = SidecarTelemetry.ActivitySource.StartActivity("sidecar.Complete", ActivityKind.Internal);
        try
        {
            using var call = calls.Enter(context.CancellationToken);
            using var deadline = outcome.Deadline = deadlines.Start(context.Deadline, call.Token);
            var (key, provider) = Prepare(request, context);
            var upstreamStart = time.GetTimestamp();
            var response = await provider.CompleteAsync(request, key, deadline.Deadline, deadline.Token).ConfigureAwait(false);
            outcome.UpstreamTicks = time.GetTimestamp() - upstreamStart;
            outcome.Usage = response.Usage;
            return response;
        }
        catch (Exception ex)
        {
            throw Translate(ex, context, request, outcome);
        }
        finally
        {
            Finish(CompleteRpc, request, outcome, activity);
        }
    }

    public override async Task StreamComplete(CompleteRequest request, IServerStreamWriter<CompleteChunk> responseStream, ServerCallContext context)
    {
        var outcome = new CallOutcome(time.GetTimestamp());
        using var activity = SidecarTelemetry.ActivitySource.StartActivity("sidecar.StreamComplete", ActivityKind.Internal);
        metrics.StreamStarted();
        try
        {
            using var call = calls.Enter(context.CancellationToken);
            using var deadline = outcome.Deadline = deadlines.Start(context.Deadline, call.Token);
            var (key, provider) = Prepare(request, context);
            await using var chunks = provider.StreamAsync(request, key, deadline.Deadline, deadline.Token).GetAsyncEnumerator(deadline.Token);
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

                if (chunk.Usage is not null)
                {
                    outcome.Usage = chunk.Usage;
                }

                // The caller's own token: a write cancelled by the deadline or shutdown token would make
                // grpc-dotnet reset the stream (CANCELLED, no reason) instead of ending it with our status.
                await responseStream.WriteAsync(chunk, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            throw Translate(ex, context, request, outcome);
        }
        finally
        {
            metrics.StreamEnded();
            Finish(StreamRpc, request, outcome, activity);
        }
    }

    private (ResolvedKey Key, IChatProvider Provider) Prepare(CompleteRequest request, ServerCallContext context)
    {
        validator.Validate(request);
        var key = keys.Resolve(request.KeyRef);
        CallerAuthorizer.Authorize(key, PeerCredentials.Of(context.GetHttpContext()));
        if (key.Models is { } allowed && !allowed.Contains(request.Model))
        {
            throw new SidecarException(
                SidecarError.ModelNotAllowed,
                $"key_ref '{key.KeyRef}' does not allow model '{request.Model}'.",
                metadata: new Dictionary<string, string> { ["key_ref"] = key.KeyRef, ["model"] = request.Model });
        }

        return (key, providers.For(key.Provider));
    }

    private RpcException Translate(Exception exception, ServerCallContext context, CompleteRequest request, CallOutcome outcome)
    {
        switch (exception)
        {
            case SidecarException known:
                return outcome.Fail(ErrorStatus.ToRpcException(known), ErrorStatus.Of(known.Error).Reason);
            case RpcException rpc:
                return outcome.Fail(rpc, string.Empty);
            case OperationCanceledException when calls.IsHardStopped && !context.CancellationToken.IsCancellationRequested:
                var cut = new SidecarException(
                    SidecarError.ShuttingDown,
                    "The sidecar shut down before the call finished; the answer is incomplete.",
                    retryAfter: TimeSpan.FromSeconds(1));
                return Translate(cut, context, request, outcome);
            case OperationCanceledException when context.Deadline <= time.GetUtcNow().UtcDateTime || outcome.Deadline?.HasPassed == true:
                return outcome.Fail(new RpcException(new Status(StatusCode.DeadlineExceeded, "The call's deadline passed.")), string.Empty);
            case OperationCanceledException:
                return outcome.Fail(new RpcException(new Status(StatusCode.Cancelled, "The caller cancelled the call.")), string.Empty);
            default:
                Log.UnexpectedFailure(logger, exception, context.Method, request.KeyRef);
                return outcome.Fail(new RpcException(new Status(StatusCode.Internal, "The sidecar failed unexpectedly; its log has the details.")), "INTERNAL");
        }
    }

    private void Finish(string rpc, CompleteRequest request, CallOutcome outcome, Activity? activity)
    {
        var elapsed = time.GetElapsedTime(outcome.Start);
        var code = outcome.Code;
        var codeName = CodeNames.Of(code);
        double? upstreamSeconds = outcome.UpstreamTicks > 0 ? (double)outcome.UpstreamTicks / time.TimestampFrequency : null;
        metrics.RequestFinished(rpc, request.Model, codeName, elapsed.TotalSeconds, upstreamSeconds);
        metrics.Tokens(request.KeyRef, request.Model, code == StatusCode.OK ? outcome.Usage : null);
        if (activity is not null)
        {
            activity.SetTag("sidecar.key_ref", request.KeyRef);
            activity.SetTag("gen_ai.request.model", request.Model);
            activity.SetTag("rpc.grpc.status_code", (int)code);
            if (code != StatusCode.OK)
            {
                activity.SetStatus(ActivityStatusCode.Error, outcome.Reason);
            }
        }

        Log.CallFinished(
            logger,
            rpc,
            request.KeyRef,
            request.Model,
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

        public StatusCode Code { get; private set; } = StatusCode.OK;

        public string Reason { get; private set; } = string.Empty;

        public RpcException Fail(RpcException exception, string reason)
        {
            Code = exception.StatusCode;
            Reason = reason;
            return exception;
        }
    }
}
