using Sidecar.Keys;
using Sidecar.Resilience;
using Sidecar.Shared;

namespace Sidecar.Upstream;

/// <summary>
/// The limits step of the pipeline, taken by every provider before it calls anything: a slot from
/// <see cref="LocalLimits"/> (the key's rate and concurrency, the stream cap), then admission by
/// <see cref="SharedLimits"/> (docs/design.md). One place, so no provider can skip or reorder them.
/// </summary>
internal sealed class CallAdmission(LocalLimits limits, SharedLimits shared)
{
    /// <summary>
    /// Admits one call on <paramref name="key"/> or throws the refusing limit's error. Dispose the result
    /// when the call ends, after giving it the call's usage.
    /// </summary>
    public async ValueTask<AdmittedCall> AdmitAsync(ResolvedKey key, bool stream, CancellationToken cancellationToken)
    {
        var slot = await limits.AcquireAsync(key, stream, cancellationToken).ConfigureAwait(false);
        try
        {
            var lease = await shared.AdmitAsync(key, cancellationToken).ConfigureAwait(false);
            return new AdmittedCall(slot, lease);
        }
        catch
        {
            slot.Dispose();
            throw;
        }
    }
}
