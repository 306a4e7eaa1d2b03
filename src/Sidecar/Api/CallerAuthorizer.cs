using Sidecar.Errors;
using Sidecar.Keys;

namespace Sidecar.Api;

/// <summary>
/// Checks the caller's uid/gid (from the socket, see <see cref="PeerCredentials"/>) against a key
/// reference's allow-lists. No allow-list: the socket's file mode and group are the only gate.
/// Only the peer's primary gid is known to the kernel's <c>SO_PEERCRED</c>; supplementary groups are not.
/// </summary>
internal static class CallerAuthorizer
{
    public static void Authorize(ResolvedKey key, PeerCredentials? peer)
    {
        if (key.Routing.IsInternal)
        {
            // It serves other key refs as a pool member or fallback; those authorize their callers.
            throw SidecarErrors.KeyRefForbidden(key.KeyRef, "any caller: it is internal, serving other key refs as a pool member or fallback");
        }

        if (key.AllowedUids is null && key.AllowedGids is null)
        {
            return;
        }

        if (peer is { } p && (key.AllowedUids?.Contains(p.Uid) == true || key.AllowedGids?.Contains(p.Gid) == true))
        {
            return;
        }

        var who = peer is { } known ? $"uid {known.Uid} gid {known.Gid}" : "an unidentified caller";
        throw SidecarErrors.KeyRefForbidden(key.KeyRef, who);
    }
}
