using System.Security.Cryptography;
using Google.Protobuf;
using Sidecar.Shared;
using Sidecar.V1;

namespace Sidecar.ResponseCache;

/// <summary>
/// The cache key of a request: SHA-256 over its protobuf encoding with the key ref as configured, and without the
/// metadata map (pass-through labels, and the only field whose encoding order is not fixed). So the key covers the
/// key ref (tenants never share an entry), the model, the messages, the tools and tool choice, the response format,
/// every sampling field and the end-user id. It carries the key ref's Redis hash tag.
/// </summary>
internal static class ResponseCacheKey
{
    // Bumped whenever what the hash covers changes, so old entries are never read as new ones.
    private static readonly byte[] Version = "sidecar-cache-v1\n"u8.ToArray();

    public static string For(CompleteRequest request, string keyRef)
    {
        var canonical = request.Clone();
        canonical.KeyRef = keyRef;
        canonical.Metadata.Clear();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Version);
        hash.AppendData(canonical.ToByteArray());
        return SharedKeys.Cache(keyRef, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
