using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Grains;

/// <summary>
/// A scope larger than one Orleans message may carry is read in pages of bounded size, each at
/// the epoch the subscription answered, even while the scope moves on.
/// </summary>
public sealed class ScopeSnapshotPagingTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static ServiceResources Big(string host, long revision, int megabytes) =>
        new(host, revision, [new XdsResource(TypeUrls.Cluster, "outbound|80||" + host, $"v{revision}", new byte[megabytes * 1024 * 1024], ResourceAudience.All)]);

    [Fact]
    public async Task AScopeLargerThanAPage_IsReadInPages_AtTheEpochAsked_WhileTheScopeMovesOn()
    {
        // A scope of its own (proxyless clients' shape: resources taken as they are).
        var scope = fixture.Cluster.GrainFactory.GetGrain<IScopeGrain>("default-paging-test");
        await scope.ApplyAsync([Big("a.example.com", 1, 5), Big("b.example.com", 1, 5), Big("c.example.com", 1, 5)]);
        var header = await scope.GetSnapshotAsync();
        var epoch = header.Epoch;

        var first = await scope.GetSnapshotPageAsync(header.Generation, epoch, 0);
        await scope.ApplyAsync([Big("d.example.com", 1, 1)]); // the scope moves on mid-read
        var pages = new List<ScopeSnapshotPage> { first! };
        while (pages[^1].Next is { } next)
        {
            pages.Add((await scope.GetSnapshotPageAsync(header.Generation, epoch, next))!);
        }

        Assert.Equal(3, pages.Count); // 5 + 5 MiB is over a page's 8 MiB
        Assert.All(pages, p => Assert.True(p.Resources.Sum(r => r.Payload.Length) <= IScopeGrain.ScopeSnapshotPageBytes));
        Assert.Equal(
            ["outbound|80||a.example.com", "outbound|80||b.example.com", "outbound|80||c.example.com"],
            pages.SelectMany(p => p.Resources).Select(r => r.Name).Order(StringComparer.Ordinal));

        // An epoch the scope neither is at nor keeps, or another generation: start over.
        Assert.Null(await scope.GetSnapshotPageAsync(header.Generation, epoch + 5, 0));
        Assert.Null(await scope.GetSnapshotPageAsync(Guid.NewGuid(), epoch + 1, 0));
        var now = await scope.GetSnapshotAsync();
        var latest = await scope.GetSnapshotPageAsync(now.Generation, now.Epoch, 0);
        Assert.Contains(latest!.Resources, r => r.Name == "outbound|80||a.example.com");
    }
}
