
namespace Sidecar.Api;

/// <summary>
/// What the pipeline needs to know about the door a call came through (gRPC or the OpenAI-compatible
/// HTTP API), so that both doors run the one pipeline.
/// </summary>
/// <param name="Rpc">The call's name in logs, spans and the <c>rpc</c> metric label.</param>
/// <param name="Peer">The caller's uid/gid from the socket; null over TCP or where the kernel does not tell.</param>
/// <param name="CallerDeadline">The caller's deadline (UTC); <see cref="DateTime.MaxValue"/> when it set none.</param>
/// <param name="Aborted">Fires when the caller goes away or its deadline passes.</param>
/// <param name="DeadlineReached">
/// Fires only at the caller's deadline, where the door enforces it with its own timer (the HTTP door):
/// a timer and a clock read can disagree by a hair, so the door says which cancellation was the deadline.
/// <see cref="CancellationToken.None"/> where the transport enforces the deadline itself (gRPC).
/// </param>
internal readonly record struct CallDoor(string Rpc, PeerCredentials? Peer, DateTime CallerDeadline, CancellationToken Aborted, CancellationToken DeadlineReached = default)
{
    /// <summary>Told before the first chunk of a stream replayed from the response cache (the HTTP door says it in a header).</summary>
    public Action? CacheHit { get; init; }
}
