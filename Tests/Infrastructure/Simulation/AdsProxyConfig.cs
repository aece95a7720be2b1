using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Service.Discovery.V3;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>Fetches what a proxy holds over an ADS stream, as Envoy asks for it.</summary>
public static class AdsProxyConfig
{
    /// <summary>
    /// Asks <paramref name="client"/>'s stream for every Cluster and Listener (wildcard), then for
    /// the ClusterLoadAssignments of its EDS clusters and the RouteConfigurations its HTTP
    /// connection managers name over RDS, ACKing each response as Envoy does, and returns them
    /// as a <see cref="ProxyConfig"/>.
    /// </summary>
    public static async Task<ProxyConfig> FetchAsync(AdsTestClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var responses = new List<DiscoveryResponse>();

        var clusters = await RequestAsync(client, TypeUrls.Cluster, []);
        responses.Add(clusters);
        var listeners = await RequestAsync(client, TypeUrls.Listener, []);
        responses.Add(listeners);

        var edsNames = AdsTestClient.Unpack<Cluster>(clusters)
            .Where(c => c.Type == Cluster.Types.DiscoveryType.Eds)
            .Select(c => c.EdsClusterConfig?.ServiceName is { Length: > 0 } service ? service : c.Name)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (edsNames.Count > 0)
        {
            responses.Add(await RequestAsync(client, TypeUrls.ClusterLoadAssignment, edsNames));
        }

        var rdsNames = AdsTestClient.Unpack<Listener>(listeners)
            .SelectMany(l => l.FilterChains.Append(l.DefaultFilterChain))
            .Where(c => c is not null)
            .SelectMany(c => c!.Filters)
            .Where(f => f.TypedConfig?.Is(HttpConnectionManager.Descriptor) == true)
            .Select(f => f.TypedConfig.Unpack<HttpConnectionManager>())
            .Where(m => m.RouteSpecifierCase == HttpConnectionManager.RouteSpecifierOneofCase.Rds)
            .Select(m => m.Rds.RouteConfigName)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (rdsNames.Count > 0)
        {
            responses.Add(await RequestAsync(client, TypeUrls.RouteConfiguration, rdsNames));
        }

        return ProxyConfig.FromResponses(responses);
    }

    private static async Task<DiscoveryResponse> RequestAsync(AdsTestClient client, string typeUrl, IReadOnlyList<string> names)
    {
        await client.SendAsync(typeUrl, names);
        var response = await client.ReceiveTypeAsync(typeUrl);
        await client.AckAsync(response, names);
        return response;
    }
}
