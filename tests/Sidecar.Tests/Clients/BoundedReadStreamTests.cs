using System.Text;

namespace Sidecar.Tests.Clients;

public sealed class BoundedReadStreamTests
{
    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public async Task Read_EventsUnderTheLimit_PassWhateverTheLineEnds(string eol)
    {
        var data = string.Concat(Enumerable.Repeat($"data: {new string('a', 90)}{eol}{eol}", 50));

        var read = await ReadAllAsync(data, maxTotal: long.MaxValue, maxEvent: 100, chunk: 7);

        Assert.Equal(data, read);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public async Task Read_OneEventOverTheLimit_Fails(string eol)
    {
        // Two data lines of one event: each under the limit, together over it.
        var data = $"data: {new string('a', 60)}{eol}data: {new string('b', 60)}{eol}{eol}";

        var error = await Assert.ThrowsAsync<UpstreamProtocolException>(() => ReadAllAsync(data, long.MaxValue, maxEvent: 100, chunk: 5));

        Assert.Contains("MaxEventBytes", error.Message);
    }

    [Fact]
    public async Task Read_ALineWithoutEnd_FailsOnceItPassesTheLimit()
    {
        var error = await Assert.ThrowsAsync<UpstreamProtocolException>(() => ReadAllAsync("data: " + new string('a', 10_000), long.MaxValue, maxEvent: 1000, chunk: 64));

        Assert.Contains("over the limit of 1000 bytes", error.Message);
    }

    [Fact]
    public async Task Read_BodyOverTheTotal_Fails()
    {
        Assert.Equal(new string('a', 1000), await ReadAllAsync(new string('a', 1000), maxTotal: 1000, maxEvent: 0, chunk: 100));

        var error = await Assert.ThrowsAsync<UpstreamProtocolException>(() => ReadAllAsync(new string('a', 1001), maxTotal: 1000, maxEvent: 0, chunk: 100));
        Assert.Contains("MaxResponseBytes", error.Message);
    }

    private static async Task<string> ReadAllAsync(string data, long maxTotal, long maxEvent, int chunk)
    {
        await using var stream = new BoundedReadStream(new MemoryStream(Encoding.UTF8.GetBytes(data)), maxTotal, maxEvent);
        var output = new MemoryStream();
        var buffer = new byte[chunk];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        return Encoding.UTF8.GetString(output.ToArray());
    }
}
