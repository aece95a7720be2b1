using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>Builds LDS resources.</summary>
public static class ListenerTranslator
{
    /// <summary>The router filter's well-known name.</summary>
    public const string RouterFilterName = "envoy.filters.http.router";

    /// <summary>
    /// The listener a proxyless gRPC client asks for when it dials <c>xds:///host:port</c>:
    /// named <c>host:port</c>, with an <c>api_listener</c> HttpConnectionManager that takes
    /// its routes over ADS (RDS name <c>host:port</c>), Istio's empty fault filter (so a
    /// VirtualService <c>fault</c>, sent as the route's <c>typed_per_filter_config</c> under
    /// <see cref="RouteTranslator.FaultFilter"/>, applies: gRFC A33, which @grpc/grpc-js-xds
    /// implements), and the router filter, which gRFC A39 requires to be last.
    /// </summary>
    public static Listener BuildApiListener(string hostPort)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostPort);
        var manager = new HttpConnectionManager
        {
            StatPrefix = hostPort,
            Rds = new Rds
            {
                ConfigSource = ClusterTranslator.AdsConfigSource(),
                RouteConfigName = hostPort,
            },
        };
        manager.HttpFilters.Add(new HttpFilter
        {
            Name = RouteTranslator.FaultFilter,
            TypedConfig = Any.Pack(new HTTPFault()),
        });
        manager.HttpFilters.Add(new HttpFilter
        {
            Name = RouterFilterName,
            TypedConfig = Any.Pack(new Router()),
        });

        return new Listener
        {
            Name = hostPort,
            ApiListener = new ApiListener { ApiListener_ = Any.Pack(manager) },
        };
    }
}
