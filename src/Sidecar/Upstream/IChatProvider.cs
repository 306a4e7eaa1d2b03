using Sidecar.Keys;
using Sidecar.V1;

namespace Sidecar.Upstream;

/// <summary>
/// Answers validated requests for one kind of provider. Failures are <see cref="Errors.SidecarException"/>s;
/// a stream ends only after a chunk with a finish reason, or throws.
/// </summary>
internal interface IChatProvider
{
    Task<CompleteResponse> CompleteAsync(CompleteRequest request, ResolvedKey key, CancellationToken cancellationToken);

    IAsyncEnumerable<CompleteChunk> StreamAsync(CompleteRequest request, ResolvedKey key, CancellationToken cancellationToken);
}
