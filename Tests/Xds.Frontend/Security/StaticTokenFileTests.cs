using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Xds.Frontend.Security;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Orleans.Tests.Xds.Frontend.Security;

/// <summary>The static token file: its lines, malformed and hostile ones refused by line number without the token, and reloading.</summary>
public sealed class StaticTokenFileTests
{
    [Fact]
    public async Task ATokenOfTheFile_IsItsServiceAccount_AnyOtherIsRefused()
    {
        using var directory = new TempDirectory();
        var path = directory.Write("tokens", "# comment\n\n  shop-web-token-0123456789   shop   web  \nbank-token-0123456789abc bank teller\n");
        var tokens = new StaticTokenFile(path);

        Assert.Equal(2, tokens.Count);
        Assert.Equal(TokenReview.Accepted("shop", "web"), await tokens.ReviewAsync("shop-web-token-0123456789", CancellationToken.None));
        Assert.Equal("the bearer token is not in the token file", (await tokens.ReviewAsync("shop-web-token-012345678", CancellationToken.None)).Refused);
        Assert.NotNull((await tokens.ReviewAsync(string.Empty, CancellationToken.None)).Refused);
    }

    [Theory]
    [InlineData("only-two-fields-0123456789 shop", "line 1: expected TOKEN NAMESPACE SERVICEACCOUNT, found 2 field(s)")]
    [InlineData("a b c d", "line 1: expected TOKEN NAMESPACE SERVICEACCOUNT, found 4 field(s)")]
    [InlineData("short shop web", "line 1: the token is shorter than 16 characters")]
    [InlineData("# c\ntoken-0123456789abcdef Shop web", "line 2: 'Shop' / 'web' is not a namespace and service account")]
    [InlineData("token-0123456789abcdef shop ../web", "line 1: 'shop' / '../web' is not a namespace and service account")]
    [InlineData("token-0123456789abcdef shop web\ntoken-0123456789abcdef bank teller", "line 2: the token is given twice")]
    public void AFileThatDoesNotParse_IsRefusedNamingTheLine_NeverTheToken(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => StaticTokenFile.Parse(text.Split('\n')));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("token-0123456789abcdef", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("only-two-fields", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AChangedFile_IsReadAgain_AndAVersionThatDoesNotParseKeepsThePreviousTokens()
    {
        using var directory = new TempDirectory();
        var path = directory.Write("tokens", "first-token-0123456789 shop web\n");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tokens = new StaticTokenFile(path, time);

        await File.WriteAllTextAsync(path, "second-token-0123456789 shop web\n");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null((await tokens.ReviewAsync("second-token-0123456789", CancellationToken.None)).Refused);
        Assert.NotNull((await tokens.ReviewAsync("first-token-0123456789", CancellationToken.None)).Refused);

        await File.WriteAllTextAsync(path, "broken\n");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(2));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null((await tokens.ReviewAsync("second-token-0123456789", CancellationToken.None)).Refused);
    }
}
