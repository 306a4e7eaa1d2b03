using System.Globalization;
using StackExchange.Redis;

namespace Sidecar.Shared;

/// <summary>
/// Redis key names. Each starts with the key ref's hash tag <c>{sidecar:&lt;key_ref&gt;}</c>: all of one key ref's
/// counters share a Cluster slot (so one script may touch them all) and different key refs spread over the slots.
/// Key ref names cannot hold braces (docs/design.md, "Key references").
/// </summary>
internal static class SharedKeys
{
    public static string Tag(string keyRef) => "{sidecar:" + keyRef + "}";

    public static RedisKey Requests(string keyRef) => Tag(keyRef) + ":rpm";

    public static RedisKey Tokens(string keyRef) => Tag(keyRef) + ":tpm";

    public static RedisKey Day(string keyRef, DateTimeOffset now) => Tag(keyRef) + ":day:" + now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static RedisKey Month(string keyRef, DateTimeOffset now) => Tag(keyRef) + ":month:" + now.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    public static string Cache(string keyRef, string hash) => Tag(keyRef) + ":cache:" + hash;
}
