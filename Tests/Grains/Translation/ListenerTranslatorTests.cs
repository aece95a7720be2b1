using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Tests.Grains.Translation;

public sealed class ListenerTranslatorTests
{
    [Fact]
    public void BuildApiListener_HasAnHttpConnectionManagerWithRdsOverAdsAndTheRouterLast()
    {
        var listener = ListenerTranslator.BuildApiListener("echo.default.svc.cluster.local:7000");

        Assert.Equal("echo.default.svc.cluster.local:7000", listener.Name);
        var manager = listener.ApiListener.ApiListener_.Unpack<HttpConnectionManager>();
        Assert.Equal("echo.default.svc.cluster.local:7000", manager.Rds.RouteConfigName);
        Assert.NotNull(manager.Rds.ConfigSource.Ads);
        Assert.Equal(ApiVersion.V3, manager.Rds.ConfigSource.ResourceApiVersion);
        var last = manager.HttpFilters[^1];
        Assert.Equal(ListenerTranslator.RouterFilterName, last.Name);
        Assert.True(last.TypedConfig.Is(Router.Descriptor));
    }

    [Fact]
    public void BuildApiListener_PutsAnEmptyFaultFilterBeforeTheRouter_NamedAsRoutesKeyTheirFaults()
    {
        var manager = ListenerTranslator.BuildApiListener("echo.default.svc.cluster.local:7000").ApiListener.ApiListener_.Unpack<HttpConnectionManager>();

        Assert.Equal([RouteTranslator.FaultFilter, ListenerTranslator.RouterFilterName], manager.HttpFilters.Select(f => f.Name));
        Assert.Equal("envoy.filters.http.fault", manager.HttpFilters[0].Name);
        Assert.Equal(new HTTPFault(), manager.HttpFilters[0].TypedConfig.Unpack<HTTPFault>());
    }

    [Fact]
    public void BuildOutbound_IsAnEdsClusterOverAdsWithRoundRobin()
    {
        var cluster = ClusterTranslator.BuildOutbound("outbound|7000||echo.default.svc.cluster.local");

        Assert.Equal(Cluster.Types.DiscoveryType.Eds, cluster.Type);
        Assert.Equal(cluster.Name, cluster.EdsClusterConfig.ServiceName);
        Assert.NotNull(cluster.EdsClusterConfig.EdsConfig.Ads);
        Assert.Equal(Cluster.Types.LbPolicy.RoundRobin, cluster.LbPolicy);
        Assert.Equal(10, cluster.ConnectTimeout.Seconds);
    }
}
