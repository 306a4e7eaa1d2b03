using System.Text;
using Sidecar.Upstream;

namespace Sidecar.Tests.Upstream;

public sealed class SecretRedactorTests
{
    private const string Key = "sk-proj-Abc123Def456Ghi789";

    [Theory]
    [InlineData("key sk-proj-Abc123Def456Ghi789 refused", "key [redacted] refused")]
    [InlineData("starts sk-proj-Abc1 only", "starts [redacted] only")]
    [InlineData("ends ef456Ghi789.", "ends [redacted].")]
    [InlineData("upper SK-PROJ-ABC123DEF456GHI789!", "upper [redacted]!")]
    [InlineData("a middle 123Def456 piece", "a middle [redacted] piece")]
    [InlineData("seven sk-proj is fine", "seven sk-proj is fine")]
    [InlineData("no key here at all", "no key here at all")]
    public void Redact_RunsOfEightOrMoreOfTheKey_AreRedactedWhateverTheirCase(string text, string expected)
    {
        Assert.Equal(expected, SecretRedactor.Redact(text, Key));
    }

    [Theory]
    [InlineData("Bearer ")]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("xy")]
    [InlineData("Authorization: Bearer ")]
    public void Redact_Base64OfTheKeyAtAnyAlignment_IsRedacted(string prefix)
    {
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(prefix + Key));

        var redacted = SecretRedactor.Redact($"header was {encoded} then", Key);

        Assert.Contains("[redacted]", redacted);
        Assert.EndsWith("[redacted] then", redacted);

        // Whatever is left of the encoding encodes the prefix only: fewer than 8 characters touch the key.
        var left = redacted["header was ".Length..redacted.IndexOf("[redacted]", StringComparison.Ordinal)];
        Assert.True(left.Length <= (Encoding.UTF8.GetByteCount(prefix) / 3 * 4) + SecretRedactor.MinRun - 1, left);
    }

    [Fact]
    public void Redact_KeyShorterThanARun_IsRedactedWhereItOccursWhole()
    {
        Assert.Equal("the [redacted] and sk-ab", SecretRedactor.Redact("the SK-ABC and sk-ab", "sk-abc"));
    }

    [Fact]
    public void Redact_NoKey_LeavesTheTextAlone()
    {
        Assert.Equal("anything", SecretRedactor.Redact("anything", string.Empty));
    }
}
