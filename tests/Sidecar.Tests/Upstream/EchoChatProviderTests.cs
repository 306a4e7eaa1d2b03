using Sidecar.Upstream;

namespace Sidecar.Tests.Upstream;

public sealed class EchoChatProviderTests
{
    [Theory]
    [InlineData("one two three", new[] { "one", " two", " three" })]
    [InlineData("  lead and trail  ", new[] { "  lead", " and", " trail  " })]
    [InlineData("single", new[] { "single" })]
    [InlineData("", new string[0])]
    public void Words_SplitText_ConcatenatesBackExactly(string text, string[] expected)
    {
        var words = EchoChatProvider.Words(text).ToArray();

        Assert.Equal(expected, words);
        Assert.Equal(text, string.Concat(words));
    }
}
