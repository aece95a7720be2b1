using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Xds.Frontend;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>
/// When the frontend's connection to the silos changes (a gateway lost or found), every scope
/// subscription renews at once instead of at its interval: a scope that moved to another silo
/// (a new generation) is resynced from its snapshot now.
/// </summary>
public sealed class SubscriptionRenewalsTests
{
    [Fact]
    public async Task RenewNow_MakesASubscriptionFindItsScopesNewGeneration_WithoutWaitingForItsInterval()
    {
        var mesh = new FakeMeshStateClient();
        var cache = new ResourceCache("default");
        mesh.Set(new ScopeSnapshot("default", Guid.NewGuid(), 1, [new XdsResource(TypeUrls.Cluster, "a", "1", [1])]));
        var renewals = new SubscriptionRenewals();
        var time = new FakeTimeProvider();
        using var stop = new CancellationTokenSource();
        var options = Options.Create(new XdsFrontendOptions { SubscriptionRenewInterval = TimeSpan.FromHours(1) });
        using var subscriber = new ScopeSubscriber(cache, mesh, options, time, NullLogger<ScopeSubscriber>.Instance, renewals);
        await subscriber.StartAsync(stop.Token);
        await cache.Ready.WaitAsync(TimeSpan.FromSeconds(10));

        // The scope's grain came back on another silo as a new generation, and no update reached this frontend.
        mesh.Set(new ScopeSnapshot("default", Guid.NewGuid(), 1, [new XdsResource(TypeUrls.Cluster, "a", "2", [2])]));
        renewals.RenewNow();

        await Eventually.TrueAsync(() => Task.FromResult(cache.Current.Of(TypeUrls.Cluster)["a"].Version == "2"), TimeSpan.FromSeconds(10), "the cache resyncs at once");
        Assert.Equal(1, renewals.Count);
        await stop.CancelAsync();
        await subscriber.StopAsync(CancellationToken.None);
    }
}
