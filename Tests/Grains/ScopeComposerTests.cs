using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Mesh.Orleans.Grains;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Tests.Grains;

/// <summary>How the sidecar scope serves listeners that two hostnames' resources both name.</summary>
public sealed class ScopeComposerTests
{
    private const string Alpha = "alpha.default.svc.cluster.local";
    private const string Beta = "beta.default.svc.cluster.local";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TwoHostnamesWithOneListenerName_TheFirstByHostnameIsServed_WhicheverArrivesFirst(bool betaFirst)
    {
        var composer = ScopeComposer.For(ScopeNames.Sidecar, registryOnly: false);
        var alpha = ListenerOf(Alpha);
        var beta = ListenerOf(Beta);

        if (betaFirst)
        {
            composer.Replace(Beta, null, beta);
            composer.Replace(Alpha, null, alpha);
        }
        else
        {
            composer.Replace(Alpha, null, alpha);
            composer.Replace(Beta, null, beta);
        }

        composer.TakeChanges();
        Assert.Equal(Cluster(Alpha), ServedCluster(composer));
        var conflict = Assert.Single(composer.TakeConflicts());
        Assert.Equal(("10.1.0.1_3306", Alpha), (conflict.Listener, conflict.Served));
        Assert.Equal([Beta], conflict.Shadowed);
        Assert.Empty(composer.TakeConflicts());
    }

    [Fact]
    public void WhenTheServedHostnameGoes_TheOtherTakesTheListenerOver_AndWhenBothGo_ItIsRemoved()
    {
        var composer = ScopeComposer.For(ScopeNames.Sidecar, registryOnly: false);
        var alpha = ListenerOf(Alpha);
        var beta = ListenerOf(Beta);
        composer.Replace(Alpha, null, alpha);
        composer.Replace(Beta, null, beta);
        composer.TakeChanges();

        composer.Replace(Alpha, alpha, []);
        var (upserted, removed) = composer.TakeChanges();

        Assert.Equal(Cluster(Beta), ServedCluster(composer));
        Assert.Equal(["10.1.0.1_3306"], upserted.Select(r => r.Name));
        Assert.Empty(removed);

        composer.Replace(Beta, beta, []);
        (upserted, removed) = composer.TakeChanges();

        Assert.Empty(upserted);
        Assert.Equal([new ResourceKey(TypeUrls.Listener, "10.1.0.1_3306")], removed);
        Assert.DoesNotContain(composer.All, r => r.TypeUrl == TypeUrls.Listener && r.Name == "10.1.0.1_3306");
    }

    [Fact]
    public void AShadowedHostnameChangingItsListener_ChangesNothingServed()
    {
        var composer = ScopeComposer.For(ScopeNames.Sidecar, registryOnly: false);
        var beta = ListenerOf(Beta);
        composer.Replace(Alpha, null, ListenerOf(Alpha));
        composer.Replace(Beta, null, beta);
        composer.TakeChanges();

        composer.Replace(Beta, beta, ListenerOf(Beta, port: 3306, cluster: "outbound|3306|v2|" + Beta));
        var (upserted, removed) = composer.TakeChanges();

        Assert.Empty(upserted);
        Assert.Empty(removed);
        Assert.Equal(Cluster(Alpha), ServedCluster(composer));
    }

    [Fact]
    public void ATcpListenerNamedLikeAPortsHttpListener_GivesWayToIt_WhileThePortHasVirtualHosts_AndTakesTheNameWhenTheyGo()
    {
        var composer = ScopeComposer.For(ScopeNames.Sidecar, registryOnly: false);
        var wildcard = SidecarTranslator.TcpListener(SidecarTranslator.AnyAddress, 9080, Cluster(Beta));
        IReadOnlyList<XdsResource> tcp = [SidecarTranslator.Pack(TypeUrls.Listener, wildcard.Name, wildcard)];
        var virtualHost = new Envoy.Config.Route.V3.VirtualHost { Name = Alpha + ":9080", Domains = { Alpha } };
        IReadOnlyList<XdsResource> http = [new XdsResource(TypeUrls.VirtualHostPiece, virtualHost.Name, "v1", Google.Protobuf.MessageExtensions.ToByteArray(virtualHost), ResourceAudience.Sidecar)];
        composer.Replace(Alpha, null, http);
        composer.Replace(Beta, null, tcp);
        composer.TakeChanges();

        Assert.NotNull(Served(composer, "0.0.0.0_9080").FilterChains.Single().Filters.Single().TypedConfig.Unpack<Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager>().Rds);
        var conflict = Assert.Single(composer.TakeConflicts());
        Assert.Equal("0.0.0.0_9080", conflict.Listener);
        Assert.Equal([Beta], conflict.Shadowed);

        composer.Replace(Alpha, http, []);
        composer.TakeChanges();

        Assert.Equal(Cluster(Beta), Served(composer, "0.0.0.0_9080").FilterChains.Single().Filters.Single().TypedConfig.Unpack<TcpProxy>().Cluster);

        composer.Replace(Alpha, null, http);
        composer.TakeChanges();
        Assert.NotNull(Served(composer, "0.0.0.0_9080").FilterChains.Single().Filters.Single().TypedConfig.Unpack<Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager>().Rds);

        composer.Replace(Beta, tcp, []);
        var (_, removed) = composer.TakeChanges();
        Assert.Empty(removed);
        Assert.NotNull(Served(composer, "0.0.0.0_9080"));
    }

    private static Listener Served(ScopeComposer composer, string name) =>
        Listener.Parser.ParseFrom(Assert.Single(composer.All, r => r.TypeUrl == TypeUrls.Listener && r.Name == name).Payload);

    private static string Cluster(string host) => MeshNames.OutboundCluster(host, 3306);

    private static IReadOnlyList<XdsResource> ListenerOf(string host, int port = 3306, string? cluster = null)
    {
        var listener = SidecarTranslator.TcpListener("10.1.0.1", port, cluster ?? Cluster(host));
        return [SidecarTranslator.Pack(TypeUrls.Listener, listener.Name, listener)];
    }

    private static string ServedCluster(ScopeComposer composer)
    {
        var resource = Assert.Single(composer.All, r => r.TypeUrl == TypeUrls.Listener && r.Name == "10.1.0.1_3306");
        var listener = Listener.Parser.ParseFrom(resource.Payload);
        return listener.FilterChains[0].Filters[0].TypedConfig.Unpack<TcpProxy>().Cluster;
    }
}
