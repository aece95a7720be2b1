using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Tests.Silo.Sources;

public sealed class GoDurationTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("1s", 1000)]
    [InlineData("1.5s", 1500)]
    [InlineData("300ms", 300)]
    [InlineData("1m30s", 90_000)]
    [InlineData("2h", 7_200_000)]
    public void TryParse_GoDurations_AreRead(string text, double milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("-1s")]
    [InlineData("1 s")]
    [InlineData("1d")]
    [InlineData("999999999h")]
    [InlineData("99999999999999999999h")]
    [InlineData("99999999999999999999999999999999s")]
    [InlineData("\u0661\u0662s")]
    public void TryParse_NonDurations_AreRefused(string text)
    {
        Assert.False(GoDuration.TryParse(text, out _));
    }
}
