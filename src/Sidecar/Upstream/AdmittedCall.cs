using Sidecar.Shared;
using Sidecar.V1;

namespace Sidecar.Upstream;

/// <summary>
/// One call's place in the local and shared limits. Disposing it counts the call's tokens in the shared
/// limits first, then frees its local slot.
/// </summary>
internal sealed class AdmittedCall(IDisposable slot, SharedLease lease) : IAsyncDisposable
{
    /// <summary>The usage the upstream reported, counted in the shared limits when the call ends.</summary>
    public void Used(Usage? usage) => lease.Used(usage);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await lease.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            slot.Dispose();
        }
    }
}
