using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Sidecar.FakeUpstream;
using Sidecar.V1;

namespace Sidecar.FunctionalTests;

/// <summary>Key references from a keys directory, rotation without a restart, and request size limits.</summary>
public sealed class KeysTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly DirectoryInfo _keys = Directory.CreateTempSubdirectory("sidecar-keysdir-");
    private FakeUpstreamServer _upstream = null!;
    private Daemon _daemon = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync();
        await File.WriteAllTextAsync(Path.Combine(_keys.FullName, "team-b"), "sk-rotating-one\n");
        await File.WriteAllTextAsync(Path.Combine(_keys.FullName, "..data"), "sk-hidden");
        _daemon = await Daemon.StartAsync(
            _upstream,
            new Dictionary<string, string>
            {
                ["Sidecar:KeysDirectory"] = _keys.FullName,
                ["Sidecar:DefaultEndpoint"] = _upstream.Endpoint.ToString(),
                ["Sidecar:KeyRefreshInterval"] = "00:00:10",
                ["Sidecar:Limits:MaxRequestBytes"] = "65536",
            },
            builder => builder.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(_time)));
        _daemon.AddSecret("sk-rotating-one");
        _daemon.AddSecret("sk-rotating-two");
        _daemon.AddSecret("sk-hidden");
    }

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        await _upstream.DisposeAsync();
        _keys.Delete(recursive: true);
    }

    private static CompleteRequest TeamB() => new()
    {
        KeyRef = "team-b",
        Model = "fake-1",
        Messages = { new Message { Role = Role.User, Content = "hi" } },
    };

    [Fact]
    public async Task Complete_DirectoryKeyRef_CallsTheDefaultEndpointWithTheFileContent()
    {
        await _daemon.Client.CompleteAsync(TeamB()).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal("Bearer sk-rotating-one", _upstream.Requests.Single().Authorization);
    }

    [Fact]
    public async Task Complete_AfterTheFileRotates_UsesTheNewKeyOnceTheRefreshIntervalPasses()
    {
        await _daemon.Client.CompleteAsync(TeamB()).ResponseAsync.WaitAsync(Daemon.Timeout);
        await File.WriteAllTextAsync(Path.Combine(_keys.FullName, "team-b"), "sk-rotating-two\n");

        await _daemon.Client.CompleteAsync(TeamB()).ResponseAsync.WaitAsync(Daemon.Timeout);
        _time.Advance(TimeSpan.FromSeconds(11));
        await _daemon.Client.CompleteAsync(TeamB()).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal(
            ["Bearer sk-rotating-one", "Bearer sk-rotating-one", "Bearer sk-rotating-two"],
            _upstream.Requests.Select(r => r.Authorization));
    }

    [Fact]
    public async Task Complete_DotEntryOfTheKeysDirectory_IsNotAKeyRef()
    {
        var request = TeamB();
        request.KeyRef = "..data";

        await RpcAssert.FailsAsync(() => _daemon.Client.CompleteAsync(request).ResponseAsync, StatusCode.InvalidArgument, "INVALID_REQUEST");

        Assert.Empty(_upstream.Requests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Complete_DirectoryEntryLinkingOutsideTheDirectory_IsNotFoundAndNothingReachesTheUpstream(bool relativeLink)
    {
        // Another key ref's file, kept outside the keys directory (a configured key ref restricted to
        // some uids reads it with file:).
        var outside = Path.Combine(_daemon.Directory, "restricted.key");
        await File.WriteAllTextAsync(outside, "sk-restricted-outside");
        _daemon.AddSecret("sk-restricted-outside");
        File.CreateSymbolicLink(Path.Combine(_keys.FullName, "alias"), relativeLink ? Path.GetRelativePath(_keys.FullName, outside) : outside);
        var request = TeamB();
        request.KeyRef = "alias";

        await RpcAssert.FailsAsync(() => _daemon.Client.CompleteAsync(request).ResponseAsync, StatusCode.NotFound, "KEY_REF_NOT_FOUND");

        Assert.Empty(_upstream.Requests);
        Assert.Contains(_daemon.LogLines, l => l.Contains("Keys directory entry alias is a link to a file outside the directory", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Complete_KubernetesSecretVolumeLayout_ResolvesThroughTheDataLinksAndFollowsASwap()
    {
        // What the kubelet writes: name → ..data/name, ..data → ..<timestamp>, swapped atomically on update.
        File.Delete(Path.Combine(_keys.FullName, "..data"));
        await WriteTimestampedAsync("..2026_12_02_10_00_00.1", "sk-k8s-one");
        File.CreateSymbolicLink(Path.Combine(_keys.FullName, "..data"), "..2026_12_02_10_00_00.1");
        File.CreateSymbolicLink(Path.Combine(_keys.FullName, "team-k"), "../" + _keys.Name + "/..data/team-k");
        var request = TeamB();
        request.KeyRef = "team-k";

        await _daemon.Client.CompleteAsync(request).ResponseAsync.WaitAsync(Daemon.Timeout);
        await WriteTimestampedAsync("..2026_12_02_11_00_00.2", "sk-k8s-two");
        File.CreateSymbolicLink(Path.Combine(_keys.FullName, "..data_tmp"), "..2026_12_02_11_00_00.2");
        Posix.Rename(Path.Combine(_keys.FullName, "..data_tmp"), Path.Combine(_keys.FullName, "..data"));
        Directory.Delete(Path.Combine(_keys.FullName, "..2026_12_02_10_00_00.1"), recursive: true);
        _time.Advance(TimeSpan.FromSeconds(11));
        await _daemon.Client.CompleteAsync(request).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal(["Bearer sk-k8s-one", "Bearer sk-k8s-two"], _upstream.Requests.Select(r => r.Authorization));
    }

    private async Task WriteTimestampedAsync(string folder, string key)
    {
        Directory.CreateDirectory(Path.Combine(_keys.FullName, folder));
        await File.WriteAllTextAsync(Path.Combine(_keys.FullName, folder, "team-k"), key);
        _daemon.AddSecret(key);
    }

    [Fact]
    public async Task Complete_OverOurSizeLimit_IsInvalidArgument()
    {
        var request = TeamB();
        request.Messages[0].Content = new string('x', 100_000);

        await RpcAssert.FailsAsync(() => _daemon.Client.CompleteAsync(request).ResponseAsync, StatusCode.InvalidArgument, "INVALID_REQUEST");
        Assert.Empty(_upstream.Requests);
    }

    [Fact]
    public async Task Complete_OverTheServersReceiveLimit_IsResourceExhaustedAndTheDaemonCarriesOn()
    {
        var request = TeamB();
        request.Messages[0].Content = new string('x', 200_000);

        await RpcAssert.FailsAsync(() => _daemon.Client.CompleteAsync(request).ResponseAsync, StatusCode.ResourceExhausted);
        var after = await _daemon.Client.CompleteAsync(TeamB()).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal("fake: hi", after.Message.Content);
        Assert.Single(_upstream.Requests);
    }
}
