using Sidecar.Keys;
using Sidecar.V1;

namespace Sidecar.Upstream;

/// <summary>
/// Answers validated requests for one kind of provider. Failures are <see cref="Errors.SidecarException"/>s;
/// a stream ends only after a chunk with a finish reason, or throws. <c>deadline</c> is when the call must be
/// over (UTC, the caller's or the default one); the token fires at it too, so it only informs decisions
/// such as whether a retry can still finish. <c>model</c> is the upstream model to call: the request's, or
/// what the target's <c>ModelMap</c> makes of it.
/// </summary>
internal interface IChatProvider
{
    Task<CompleteResponse> CompleteAsync(CompleteRequest request, ResolvedKey key, string model, DateTime deadline, CancellationToken cancellationToken);

    IAsyncEnumerable<CompleteChunk> StreamAsync(CompleteRequest request, ResolvedKey key, string model, DateTime deadline, CancellationToken cancellationToken);
}
