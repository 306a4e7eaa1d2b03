namespace Sidecar.FunctionalTests;

/// <summary>Key references from a keys directory, rotation without a restart, and request size limits.</summary>
public sealed class KeysTests : KeysDirectoryTests
{
    protected override Dictionary<string, string> KeyFiles => new()
    {
        ["team-b"] = "sk-rotating-one\n",
        ["..data"] = "sk-hidden",
    };

    protected override Dictionary<string, string> MoreSettings() => new() { ["Sidecar:Limits:MaxRequestBytes"] = "65536" };

    private static CompleteRequest TeamB() => new()
    {
        KeyRef = "team-b",
        Model = "fake-1",
        Messages = { new Message { Role = Role.User, Content = "hi" } },
    };

    [Fact]
    public async Task Complete_DirectoryKeyRef_CallsTheDefaultEndpointWithTheFileContent()
    {
        await Daemon.Client.CompleteAsync(TeamB()).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal("Bearer sk-rotating-one", Upstream.Requests.Single().Authorization);
    }

    [Fact]
    public async Task Complete_AfterTheFileRotates_UsesTheNewKeyOnceTheRefreshIntervalPasses()
    {
        await Daemon.Client.CompleteAsync(TeamB()).ResponseAsync.WaitAsync(Daemon.Timeout);
        await File.WriteAllTextAsync(Path.Combine(KeysFolder.FullName, "team-b"), "sk-rotating-two\n");

        await Daemon.Client.CompleteAsync(TeamB()).ResponseAsync.WaitAsync(Daemon.Timeout);
        Clock.Advance(TimeSpan.FromSeconds(11));
        await Daemon.Client.CompleteAsync(TeamB()).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal(
            ["Bearer sk-rotating-one", "Bearer sk-rotating-one", "Bearer sk-rotating-two"],
            Upstream.Requests.Select(r => r.Authorization));
    }

    [Fact]
    public async Task Complete_DotEntryOfTheKeysDirectory_IsNotAKeyRef()
    {
        var request = TeamB();
        request.KeyRef = "..data";

        await RpcAssert.FailsAsync(() => Daemon.Client.CompleteAsync(request).ResponseAsync, StatusCode.InvalidArgument, "INVALID_REQUEST");

        Assert.Empty(Upstream.Requests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Complete_DirectoryEntryLinkingOutsideTheDirectory_IsNotFoundAndNothingReachesTheUpstream(bool relativeLink)
    {
        // Another key ref's file, kept outside the keys directory (a configured key ref restricted to
        // some uids reads it with file:).
        var outside = Path.Combine(Daemon.Directory, "restricted.key");
        await File.WriteAllTextAsync(outside, "sk-restricted-outside");
        Daemon.AddSecret("sk-restricted-outside");
        File.CreateSymbolicLink(Path.Combine(KeysFolder.FullName, "alias"), relativeLink ? Path.GetRelativePath(KeysFolder.FullName, outside) : outside);
        var request = TeamB();
        request.KeyRef = "alias";

        await RpcAssert.FailsAsync(() => Daemon.Client.CompleteAsync(request).ResponseAsync, StatusCode.NotFound, "KEY_REF_NOT_FOUND");

        Assert.Empty(Upstream.Requests);
        // The caller learns only that there is no such key ref; the operator learns why from the log.
        Assert.Contains(Daemon.LogLines, l => l.Contains("Keys directory entry alias is a link to a file outside the directory", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Complete_KubernetesSecretVolumeLayout_ResolvesThroughTheDataLinksAndFollowsASwap()
    {
        // What the kubelet writes: name → ..data/name, ..data → ..<timestamp>, swapped atomically on update.
        File.Delete(Path.Combine(KeysFolder.FullName, "..data"));
        await WriteTimestampedAsync("..2026_12_02_10_00_00.1", "sk-k8s-one");
        File.CreateSymbolicLink(Path.Combine(KeysFolder.FullName, "..data"), "..2026_12_02_10_00_00.1");
        File.CreateSymbolicLink(Path.Combine(KeysFolder.FullName, "team-k"), "../" + KeysFolder.Name + "/..data/team-k");
        var request = TeamB();
        request.KeyRef = "team-k";

        await Daemon.Client.CompleteAsync(request).ResponseAsync.WaitAsync(Daemon.Timeout);
        await WriteTimestampedAsync("..2026_12_02_11_00_00.2", "sk-k8s-two");
        File.CreateSymbolicLink(Path.Combine(KeysFolder.FullName, "..data_tmp"), "..2026_12_02_11_00_00.2");
        Posix.Rename(Path.Combine(KeysFolder.FullName, "..data_tmp"), Path.Combine(KeysFolder.FullName, "..data"));
        Directory.Delete(Path.Combine(KeysFolder.FullName, "..2026_12_02_10_00_00.1"), recursive: true);
        Clock.Advance(TimeSpan.FromSeconds(11));
        await Daemon.Client.CompleteAsync(request).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal(["Bearer sk-k8s-one", "Bearer sk-k8s-two"], Upstream.Requests.Select(r => r.Authorization));
    }

    private async Task WriteTimestampedAsync(string folder, string key)
    {
        Directory.CreateDirectory(Path.Combine(KeysFolder.FullName, folder));
        await File.WriteAllTextAsync(Path.Combine(KeysFolder.FullName, folder, "team-k"), key);
        Daemon.AddSecret(key);
    }

    [Fact]
    public async Task Complete_OverOurSizeLimit_IsInvalidArgument()
    {
        var request = TeamB();
        request.Messages[0].Content = new string('x', 100_000);

        await RpcAssert.FailsAsync(() => Daemon.Client.CompleteAsync(request).ResponseAsync, StatusCode.InvalidArgument, "INVALID_REQUEST");
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task Complete_OverTheServersReceiveLimit_IsResourceExhaustedAndTheDaemonCarriesOn()
    {
        var request = TeamB();
        request.Messages[0].Content = new string('x', 200_000);

        await RpcAssert.FailsAsync(() => Daemon.Client.CompleteAsync(request).ResponseAsync, StatusCode.ResourceExhausted);
        var after = await Daemon.Client.CompleteAsync(TeamB()).ResponseAsync.WaitAsync(Daemon.Timeout);

        Assert.Equal("fake: hi", after.Message.Content);
        Assert.Single(Upstream.Requests);
    }
}
