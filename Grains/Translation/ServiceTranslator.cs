using Google.Protobuf;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// Turns one hostname's merged inputs into its Envoy resources, serialised once. For each
/// service port: the outbound Cluster and its ClusterLoadAssignment, and the proxyless
/// gRPC Listener and RouteConfiguration named <c>host:port</c>.
/// </summary>
public static class ServiceTranslator
{
    /// <summary>Builds every resource of <paramref name="host"/>.</summary>
    /// <param name="host">The fully qualified hostname.</param>
    /// <param name="service">The Service that defines the ports; null means the host has no ports, so no resources.</param>
    /// <param name="slices">The EndpointSlices of the Service, from every member cluster.</param>
    /// <param name="virtualServices">The VirtualServices bound to the host.</param>
    /// <param name="destinationPorts">The ports of every destination those VirtualServices name.</param>
    /// <param name="referencedPorts">
    /// Ports on which other hosts' routes name this host's cluster although its Service has no
    /// such port (or it has no Service): each gets a Cluster with an empty ClusterLoadAssignment,
    /// so the route is valid and calls on it fail at once (a gRPC client would otherwise hold the
    /// whole channel's name resolution until its 15 s does-not-exist timer for the cluster fires).
    /// </param>
    public static IReadOnlyList<XdsResource> Translate(
        string host,
        MeshService? service,
        IReadOnlyList<MeshEndpointSlice> slices,
        IReadOnlyList<VirtualServiceSpec> virtualServices,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts,
        IReadOnlyCollection<int>? referencedPorts = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentNullException.ThrowIfNull(slices);
        ArgumentNullException.ThrowIfNull(virtualServices);
        ArgumentNullException.ThrowIfNull(destinationPorts);
        var resources = new List<XdsResource>(((service?.Ports.Count ?? 0) * 4) + ((referencedPorts?.Count ?? 0) * 2));
        foreach (var referenced in (referencedPorts ?? []).Where(p => service is null || service.Ports.All(s => s.Port != p)).Order())
        {
            var clusterName = MeshNames.OutboundCluster(host, referenced);
            resources.Add(Pack(TypeUrls.Cluster, clusterName, ClusterTranslator.BuildOutbound(clusterName)));
            resources.Add(Pack(TypeUrls.ClusterLoadAssignment, clusterName, new Envoy.Config.Endpoint.V3.ClusterLoadAssignment { ClusterName = clusterName }));
        }

        if (service is null)
        {
            return resources;
        }

        foreach (var port in service.Ports)
        {
            var clusterName = MeshNames.OutboundCluster(host, port.Port);
            var hostPort = MeshNames.HostPort(host, port.Port);
            resources.Add(Pack(TypeUrls.Cluster, clusterName, ClusterTranslator.BuildOutbound(clusterName)));
            resources.Add(Pack(TypeUrls.ClusterLoadAssignment, clusterName, EndpointTranslator.Build(clusterName, port, slices)));
            var routes = RouteTranslator.Build(host, port.Port, virtualServices, destinationPorts);
            resources.Add(Pack(TypeUrls.Listener, hostPort, ListenerTranslator.BuildApiListener(hostPort)) with { Audience = ResourceAudience.Proxyless });
            resources.Add(Pack(TypeUrls.RouteConfiguration, hostPort, routes) with { Audience = ResourceAudience.Proxyless });
            var sidecarHost = RouteTranslator.BuildVirtualHost(host, port.Port, virtualServices, destinationPorts, RouteFlavor.Sidecar);
            if (SidecarTranslator.ServicePort(service, port, clusterName, sidecarHost) is { } sidecar)
            {
                resources.Add(sidecar);
            }
        }

        return resources;
    }

    /// <summary>Serialises <paramref name="message"/> once and versions it by its bytes.</summary>
    public static XdsResource Pack(string typeUrl, string name, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var payload = message.ToByteArray();
        return new XdsResource(typeUrl, name, ResourceVersion.Of(payload), payload);
    }
}
