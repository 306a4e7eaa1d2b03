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
