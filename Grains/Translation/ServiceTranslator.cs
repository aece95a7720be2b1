using Google.Protobuf;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// Turns one hostname's merged inputs into its Envoy resources, serialised once. For each
/// service port: the outbound Cluster and its ClusterLoadAssignment, one more pair per subset
/// of the host's DestinationRule (<c>outbound|port|subset|host</c>, only the endpoints whose
/// pods carry the subset's labels), and the proxyless gRPC Listener and RouteConfiguration
/// named <c>host:port</c>. Each Cluster takes the rule's traffic policy for its port and subset,
/// in two shapes under one name when the policy asks for what proxyless gRPC clients reject (see
/// <see cref="AddOutboundCluster"/>).
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
    /// <param name="destinationRule">The host's DestinationRule (merged, see <see cref="DestinationRules.Merge"/>), or null.</param>
    /// <param name="referencedSubsets">
    /// Subset clusters other hosts' routes name that this host does not have (no rule defines the
    /// subset, or no such port): each gets a Cluster with an empty ClusterLoadAssignment, for the
    /// same reason as <paramref name="referencedPorts"/>.
    /// </param>
    /// <param name="serviceEntry">
    /// The ServiceEntry that declares the host when no Service does (see <see cref="ServiceEntryTranslator"/>), or null.
    /// </param>
    /// <param name="registryOnly">Whether the mesh's outbound traffic policy is REGISTRY_ONLY (where a sidecar's TLS listener sends an SNI no route takes, and a ServiceEntry's CIDR listeners send other destinations).</param>
    public static IReadOnlyList<XdsResource> Translate(
        string host,
        MeshService? service,
        IReadOnlyList<MeshEndpointSlice> slices,
        IReadOnlyList<VirtualServiceSpec> virtualServices,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts,
        IReadOnlyCollection<int>? referencedPorts = null,
        DestinationRuleSpec? destinationRule = null,
        IReadOnlyCollection<ReferencedSubset>? referencedSubsets = null,
        ServiceEntrySpec? serviceEntry = null,
        bool registryOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentNullException.ThrowIfNull(slices);
        ArgumentNullException.ThrowIfNull(virtualServices);
        ArgumentNullException.ThrowIfNull(destinationPorts);
        var resources = new List<XdsResource>(((service?.Ports.Count ?? 0) * 4) + ((referencedPorts?.Count ?? 0) * 2));
        var entry = service is null ? serviceEntry : null;
        bool Defines(int port) => service is not null ? service.Ports.Any(s => s.Port == port) : entry?.Ports.Any(p => p.Number == port) ?? false;
        foreach (var referenced in (referencedPorts ?? []).Where(p => !Defines(p)).Order())
        {
            AddEmpty(resources, MeshNames.OutboundCluster(host, referenced));
        }

        var subsets = destinationRule?.Subsets ?? [];
        foreach (var (port, subset) in (referencedSubsets ?? [])
            .Where(r => !Defines(r.Port) || subsets.All(s => s.Name != r.Subset))
            .Select(r => (r.Port, r.Subset))
            .Distinct()
            .Order())
        {
            AddEmpty(resources, MeshNames.OutboundCluster(host, port, subset));
        }

        if (service is null)
        {
            if (entry is not null)
            {
                resources.AddRange(ServiceEntryTranslator.Translate(host, entry, virtualServices, destinationPorts, destinationRule, registryOnly));
            }

            return resources;
        }

        // Auto mutual TLS where some endpoint's pod is in the mesh.
        var autoMtls = slices.Any(s => s.Endpoints.Any(e => e.TlsMode == "istio"));

        // The identities a client checks the server against under ISTIO_MUTUAL (Istio's ServiceAccounts of the service).
        var identities = slices.SelectMany(s => s.Endpoints).Select(e => e.Identity).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var port in service.Ports)
        {
            var clusterName = MeshNames.OutboundCluster(host, port.Port);
            var hostPort = MeshNames.HostPort(host, port.Port);
            AddOutboundCluster(resources, clusterName, TrafficPolicies.For(destinationRule, port.Port), autoMtls, identities);
            resources.Add(WithLocalityLb(Pack(TypeUrls.ClusterLoadAssignment, clusterName, EndpointTranslator.Build(clusterName, port, slices, tlsMode: TrafficPolicies.For(destinationRule, port.Port)?.TlsMode)), TrafficPolicies.For(destinationRule, port.Port)));
            foreach (var subset in subsets)
            {
                var subsetCluster = MeshNames.OutboundCluster(host, port.Port, subset.Name);
                AddOutboundCluster(resources, subsetCluster, TrafficPolicies.For(destinationRule, port.Port, subset.Name), autoMtls, identities);
                resources.Add(WithLocalityLb(Pack(TypeUrls.ClusterLoadAssignment, subsetCluster, EndpointTranslator.Build(subsetCluster, port, slices, subset.Labels, TrafficPolicies.For(destinationRule, port.Port, subset.Name)?.TlsMode)), TrafficPolicies.For(destinationRule, port.Port, subset.Name)));
            }

            var routes = RouteTranslator.Build(host, port.Port, virtualServices, destinationPorts);
            resources.Add(Pack(TypeUrls.Listener, hostPort, ListenerTranslator.BuildApiListener(hostPort)) with { Audience = ResourceAudience.Proxyless });
            resources.Add(Pack(TypeUrls.RouteConfiguration, hostPort, routes) with { Audience = ResourceAudience.Proxyless });
            var sidecarHost = RouteTranslator.BuildVirtualHost(host, port.Port, virtualServices, destinationPorts, RouteFlavor.Sidecar);
            resources.AddRange(SidecarTranslator.ServicePort(service, port, clusterName, sidecarHost, slices, virtualServices, destinationPorts, registryOnly));
        }

        return resources;
    }

    /// <summary>
    /// The outbound Cluster <paramref name="clusterName"/> under <paramref name="policy"/>: one
    /// resource for every proxy when the Envoy shape and the proxyless shape are the same bytes;
    /// otherwise the Envoy shape (the whole load-balancer choice) for sidecars and gateways and
    /// the narrowed shape for proxyless gRPC clients, under the same name, each serialised once.
    /// </summary>
    private static void AddOutboundCluster(List<XdsResource> resources, string clusterName, TrafficPolicySpec? policy, bool autoMtls, IReadOnlyList<string> identities)
    {
        var proxyless = ClusterTranslator.BuildOutbound(clusterName, policy, ClusterShape.Proxyless, identities: identities);
        var envoy = ClusterTranslator.BuildOutbound(clusterName, policy, ClusterShape.Envoy, autoMtls, identities);
        if (envoy.Equals(proxyless))
        {
            resources.Add(Pack(TypeUrls.Cluster, clusterName, proxyless));
            return;
        }

        resources.Add(Pack(TypeUrls.Cluster, clusterName, envoy) with { Audience = ResourceAudience.Envoy });
        resources.Add(Pack(TypeUrls.Cluster, clusterName, proxyless) with { Audience = ResourceAudience.Proxyless });
    }

    /// <summary>A Cluster that a route names and nothing serves: EDS with no endpoints, so calls fail at once.</summary>
    private static void AddEmpty(List<XdsResource> resources, string clusterName)
    {
        resources.Add(Pack(TypeUrls.Cluster, clusterName, ClusterTranslator.BuildOutbound(clusterName)));
        resources.Add(Pack(TypeUrls.ClusterLoadAssignment, clusterName, new Envoy.Config.Endpoint.V3.ClusterLoadAssignment { ClusterName = clusterName }));
    }

    /// <summary>
    /// <paramref name="assignment"/> carrying the locality setting of <paramref name="policy"/>
    /// (see <see cref="LocalityLbPolicy"/>), versioned by its bytes and the setting together; as it
    /// is when the setting is the default.
    /// </summary>
    public static XdsResource WithLocalityLb(XdsResource assignment, TrafficPolicySpec? policy)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        var locality = policy?.LoadBalancer?.LocalityLb;
        return locality is null
            ? assignment
            : assignment with { LocalityLb = locality, Version = LocalityLbPolicy.VersionOf(assignment.Payload, locality) };
    }

    /// <summary>Serialises <paramref name="message"/> once and versions it by its bytes.</summary>
    public static XdsResource Pack(string typeUrl, string name, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var payload = message.ToByteArray();
        return new XdsResource(typeUrl, name, ResourceVersion.Of(payload), payload);
    }
}
