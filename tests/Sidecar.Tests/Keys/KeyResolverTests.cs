using Microsoft.Extensions.Logging.Abstractions;
using Sidecar.Keys;

namespace Sidecar.Tests.Keys;

public sealed class KeyResolverTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sidecar-keys-");
    private readonly FakeTimeProvider _time = new();
    private readonly List<IDisposable> _owned = [];

    private KeyResolver Resolver(Action<SidecarOptions>? change = null)
    {
        var options = TestOptions.Create(o =>
        {
            o.DefaultEndpoint = "http://127.0.0.1:9/v1";
            o.KeyRefreshInterval = TimeSpan.FromSeconds(10);
            change?.Invoke(o);
        });
        var resolver = new KeyResolver(TestOptions.Live(options), _time, NullLogger<KeyResolver>.Instance);
        _owned.Add(resolver);
        return resolver;
    }

    private string WriteKey(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Resolve_ChurnOfManyMoreKeyRefsThanMaxEntries_KeepsAtMostMaxEntries()
    {
        for (var i = 0; i < 300; i++)
        {
            WriteKey($"ref-{i}", $"sk-{i}");
        }

        var resolver = Resolver(o =>
        {
            o.KeysDirectory = _dir.FullName;
            o.ClientCache.MaxEntries = 20;
        });
        var most = 0;
        for (var i = 0; i < 300; i++)
        {
            Assert.Equal($"sk-{i}", resolver.Resolve($"ref-{i}").Secret);
            most = Math.Max(most, resolver.Count);
        }

        Assert.InRange(most, 1, 20);
    }

    [Fact]
    public void Resolve_KeptResolutions_ExpireWithoutAnyFurtherCall()
    {
        WriteKey("team-a", "sk-a");
        var resolver = Resolver(o => o.KeysDirectory = _dir.FullName);
        resolver.Resolve("team-a");

        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(0, resolver.Count);
    }

    [Fact]
    public void Resolve_EnvReference_ReadsTheVariable()
    {
        var variable = $"SIDECAR_TEST_KEY_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(variable, "sk-from-env");
        try
        {
            var resolver = Resolver(o => o.Keys["team-a"] = new KeyRefOptions { ApiKey = $"env:{variable}", Endpoint = "http://127.0.0.1:7/v1" });

            var key = resolver.Resolve("team-a");

            Assert.Equal("sk-from-env", key.Secret);
            Assert.Equal(new Uri("http://127.0.0.1:7/v1"), key.Endpoint);
            Assert.Equal(Providers.OpenAI, key.Provider);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void Resolve_EnvReferenceUnset_IsKeyUnavailable()
    {
        var resolver = Resolver(o => o.Keys["team-a"] = new KeyRefOptions { ApiKey = $"env:SIDECAR_TEST_UNSET_{Guid.NewGuid():N}" });

        var error = Assert.Throws<SidecarException>(() => resolver.Resolve("team-a"));

        Assert.Equal(SidecarError.KeyUnavailable, error.Error);
    }

    [Fact]
    public void Resolve_FileReference_ReadsAndTrimsTheFile()
    {
        var path = WriteKey("secret.txt", "sk-from-file\n");
        var resolver = Resolver(o => o.Keys["team-a"] = new KeyRefOptions { ApiKey = $"file:{path}" });

        Assert.Equal("sk-from-file", resolver.Resolve("team-a").Secret);
    }

    [Theory]
    [InlineData(" \t sk-padded \r\n")]
    [InlineData("\uFEFFsk-padded\n")]
    [InlineData("\u00A0sk-padded\u00A0")]
    public void Resolve_KeyWithSurroundingWhitespaceOrByteOrderMark_IsTrimmed(string content)
    {
        var variable = $"SIDECAR_TEST_KEY_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(variable, content);
        try
        {
            var resolver = Resolver(o =>
            {
                o.Keys["from-env"] = new KeyRefOptions { ApiKey = $"env:{variable}" };
                o.Keys["literal"] = new KeyRefOptions { ApiKey = content };
            });

            Assert.Equal("sk-padded", resolver.Resolve("from-env").Secret);
            Assert.Equal("sk-padded", resolver.Resolve("literal").Secret);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Theory]
    [InlineData("sk-abc\r\nX-Injected: 1")]
    [InlineData("sk-abc\ndef")]
    [InlineData("sk-abc\u0000def")]
    [InlineData("sk-abc\u00A0def")]
    [InlineData("sk-ab\u00E9c")]
    [InlineData("sk-abc\u007Fdef")]
    [InlineData("sk-\uFEFFabc")]
    public void Resolve_KeyWithACharacterOutsidePrintableAscii_IsKeyUnavailableAndNeverCached(string content)
    {
        var path = WriteKey("bad.key", content);
        var resolver = Resolver(o =>
        {
            o.KeysDirectory = _dir.FullName;
            o.Keys["team-a"] = new KeyRefOptions { ApiKey = $"file:{path}" };
        });

        Assert.Equal(SidecarError.KeyUnavailable, Assert.Throws<SidecarException>(() => resolver.Resolve("team-a")).Error);
        Assert.Equal(SidecarError.KeyUnavailable, Assert.Throws<SidecarException>(() => resolver.Resolve("bad.key")).Error);

        // Fixed on disk: the next call uses it, nothing bad was remembered.
        WriteKey("bad.key", "sk-fixed");
        Assert.Equal("sk-fixed", resolver.Resolve("team-a").Secret);
    }

    [Fact]
    public void Resolve_FileReferenceMissing_IsKeyUnavailableAndTheMessageHoldsNoPath()
    {
        var path = Path.Combine(_dir.FullName, "missing");
        var resolver = Resolver(o => o.Keys["team-a"] = new KeyRefOptions { ApiKey = $"file:{path}" });

        var error = Assert.Throws<SidecarException>(() => resolver.Resolve("team-a"));

        Assert.Equal(SidecarError.KeyUnavailable, error.Error);
        Assert.DoesNotContain(path, error.Message);
    }

    [Fact]
    public void Resolve_KeysDirectoryFile_IsAKeyRefOnTheDefaultEndpoint()
    {
        WriteKey("team-b", "sk-dir\n");
        var resolver = Resolver(o => o.KeysDirectory = _dir.FullName);

        var key = resolver.Resolve("team-b");

        Assert.Equal("sk-dir", key.Secret);
        Assert.Equal(new Uri("http://127.0.0.1:9/v1"), key.Endpoint);
    }

    [Fact]
    public void Resolve_ConfiguredEntry_WinsOverADirectoryFileOfTheSameName()
    {
        WriteKey("team-a", "sk-dir");
        var path = WriteKey("configured", "sk-configured");
        var resolver = Resolver(o =>
        {
            o.KeysDirectory = _dir.FullName;
            o.Keys["team-a"] = new KeyRefOptions { ApiKey = $"file:{path}" };
        });

        Assert.Equal("sk-configured", resolver.Resolve("team-a").Secret);
    }

    [Fact]
    public void Resolve_DotEntryOfTheDirectory_IsNotFound()
    {
        WriteKey("..data", "sk-hidden");
        var resolver = Resolver(o => o.KeysDirectory = _dir.FullName);

        var error = Assert.Throws<SidecarException>(() => resolver.Resolve("..data"));

        Assert.Equal(SidecarError.KeyRefNotFound, error.Error);
    }

    [Fact]
    public void Resolve_UnknownName_IsKeyRefNotFound()
    {
        var resolver = Resolver(o => o.KeysDirectory = _dir.FullName);

        var error = Assert.Throws<SidecarException>(() => resolver.Resolve("nobody"));

        Assert.Equal(SidecarError.KeyRefNotFound, error.Error);
        Assert.Equal("nobody", error.Metadata!["key_ref"]);
    }

    [Fact]
    public void Resolve_RotatedFile_IsSeenOnlyAfterTheRefreshInterval()
    {
        WriteKey("team-b", "sk-old");
        var resolver = Resolver(o => o.KeysDirectory = _dir.FullName);
        var before = resolver.Resolve("team-b");

        WriteKey("team-b", "sk-new");
        var cached = resolver.Resolve("team-b");
        _time.Advance(TimeSpan.FromSeconds(11));
        var after = resolver.Resolve("team-b");

        Assert.Equal("sk-old", cached.Secret);
        Assert.Equal("sk-new", after.Secret);
        Assert.NotEqual(before.Fingerprint, after.Fingerprint);
        Assert.NotEqual(before.CacheKey, after.CacheKey);
    }

    [Fact]
    public void Resolve_EchoProvider_NeedsNoSecret()
    {
        var resolver = Resolver(o => o.Keys["echo"] = new KeyRefOptions { Provider = "echo" });

        var key = resolver.Resolve("echo");

        Assert.Equal(Providers.Echo, key.Provider);
    }

    [Fact]
    public void ResolvedKey_ToString_NeverShowsTheSecret()
    {
        WriteKey("team-b", "sk-super-secret-value");
        var key = Resolver(o => o.KeysDirectory = _dir.FullName).Resolve("team-b");

        Assert.DoesNotContain("sk-super-secret-value", key.ToString());
        Assert.DoesNotContain("sk-super-secret-value", key.CacheKey);
    }

    [Theory]
    [InlineData("team-a", true)]
    [InlineData("a", true)]
    [InlineData("A1._-z", true)]
    [InlineData("", false)]
    [InlineData(".hidden", false)]
    [InlineData("-dash", false)]
    [InlineData("../etc/passwd", false)]
    [InlineData("a/b", false)]
    [InlineData("a\\b", false)]
    [InlineData("with space", false)]
    public void KeyRefName_IsValid_FollowsThePattern(string name, bool valid) => Assert.Equal(valid, KeyRefName.IsValid(name));

    [Fact]
    public void KeyRefName_IsValid_RejectsNamesOver128Characters()
    {
        Assert.True(KeyRefName.IsValid(new string('a', 128)));
        Assert.False(KeyRefName.IsValid(new string('a', 129)));
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _dir.Delete(recursive: true);
    }
}
