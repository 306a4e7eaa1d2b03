using Grpc.Core;
using Sidecar.Shared;

namespace Sidecar.FunctionalTests.Redis;

/// <summary>Redis over TLS, its certificate signed by a private authority that <c>Sidecar:Redis:CaFile</c> names.</summary>
public sealed class RedisTlsTests
{
    [Fact]
    public async Task Complete_RedisOverTlsWithItsAuthorityTrusted_SharedLimitIsEnforced()
    {
        using var tls = RedisTlsFiles.Create("Sidecar test Redis CA");
        await using var redis = await RedisServer.StartTlsAsync(tls);
        var settings = new Dictionary<string, string>
        {
            ["Sidecar:Redis:CaFile"] = tls.Authority,
            ["Sidecar:Keys:echo:SharedLimits:RequestsPerMinute"] = "2",
            ["Sidecar:Redis:FailMode"] = "closed",
        };

        // Returns once the daemon's connection is up: the TLS handshake passed.
        await using var daemon = await RedisDaemons.StartAsync(redis, settings);

        await daemon.Client.CompleteAsync(Requests.Echo("one"));
        await daemon.Client.CompleteAsync(Requests.Echo("two"));
        await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Requests.Echo("three")).ResponseAsync, StatusCode.ResourceExhausted, "SHARED_LIMIT");
    }

    [Fact]
    public async Task Complete_RedisCertificateFromAnotherAuthority_IsNeverTrustedAndClosedRefuses()
    {
        using var tls = RedisTlsFiles.Create("Sidecar test Redis CA");
        using var other = RedisTlsFiles.Create("Some other CA");
        await using var redis = await RedisServer.StartTlsAsync(tls);
        var settings = new Dictionary<string, string>
        {
            ["Sidecar:Redis:Configuration"] = redis.Configuration,
            ["Sidecar:Redis:CaFile"] = other.Authority,
            ["Sidecar:Keys:echo:SharedLimits:RequestsPerMinute"] = "2",
            ["Sidecar:Redis:FailMode"] = "closed",
        };

        await using var daemon = await Daemon.StartAsync(upstream: null, settings);

        // The first connection attempt ends refused (the certificate does not chain to the named authority).
        await RedisDaemons.UntilAsync(daemon, RedisState.Down);
        Assert.Contains(daemon.LogLines, l => l.Contains("cannot be reached", StringComparison.Ordinal));
        await RpcAssert.FailsAsync(() => daemon.Client.CompleteAsync(Requests.Echo("one")).ResponseAsync, StatusCode.Unavailable, "SHARED_STATE_UNAVAILABLE");
    }
}
