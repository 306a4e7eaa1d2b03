using Sidecar.Configuration;

namespace Sidecar.Tests.Configuration;

public sealed class StartOnlySettingTests
{
    [Fact]
    public void Name_IsTheConfigurationPathOfTheAccessorsProperties()
    {
        Assert.Equal("Sidecar:Socket", new StartOnlySetting(o => o.Socket).Name);
        Assert.Equal("Sidecar:Upstream:ConnectTimeout", new StartOnlySetting(options => options.Upstream.ConnectTimeout).Name);
        Assert.Equal("Sidecar:Redis", StartOnlySetting.Whole("Redis", o => o.Redis.FailMode).Name);
    }

    [Fact]
    public void Value_ReadsTheBoundOptions()
    {
        var options = new SidecarOptions { Socket = "/run/sidecar/other.sock" };

        Assert.Equal("/run/sidecar/other.sock", new StartOnlySetting(o => o.Socket).Value(options));
    }

    [Fact]
    public void New_AccessorThatIsNoPropertyPath_IsRefusedNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => new StartOnlySetting(o => o.Socket.Length > 0));

        Assert.Contains("o => o.Socket.Length > 0", error.Message);
    }
}
