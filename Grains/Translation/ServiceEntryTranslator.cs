using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// The clusters and endpoints of one ServiceEntry host, as Istio's cluster builder makes them
/// (<c>convertResolution</c> in <c>pilot/pkg/networking/core/cluster.go</c>): for each port and
/// each DestinationRule subset, <c>outbound|port|subset|host</c> of the type the entry's
/// resolution asks for, with the traffic policy for the port and subset.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>STATIC: EDS; the ClusterLoadAssignment holds the entry's endpoints (a subset's, those carrying its labels).</item>
/// <item>DNS: STRICT_DNS with the endpoints inline (<c>load_assignment</c>), resolved by Envoy; with no
/// endpoints, the host itself at the port's target port (the host is then a name, which validation ensures).</item>
/// <item>DNS_ROUND_ROBIN: LOGICAL_DNS, with its one endpoint or the host inline.</item>
/// <item>NONE: ORIGINAL_DST with lb_policy CLUSTER_PROVIDED: the connection goes on to the address it was sent to.
/// Gateways cannot use that, and get EDS with no endpoints, as Istio gives them.</item>
/// </list>
/// Proxyless gRPC clients (@grpc/grpc-js-xds) accept only EDS and a LOGICAL_DNS cluster of exactly
/// one endpoint: they get STATIC as is, DNS_ROUND_ROBIN as is, DNS with one address as LOGICAL_DNS
/// (gRPC resolves the name and balances over what it finds), and otherwise (NONE, DNS with several
/// addresses) an EDS cluster with no endpoints, so their calls fail at once rather than the whole
/// Cluster being NACKed; the analyzer warns of it. Where the shapes differ, each audience gets its
/// own resource of the same name; where they agree, one resource serves all.
/// </remarks>
public static class ServiceEntryTranslator
{
    /// <summary>How often Envoy resolves a DNS cluster's names again: Istio's default <c>dnsRefreshRate</c>.</summary>
    public static readonly TimeSpan DnsRefreshRate = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Every resource of <paramref name="host"/>, declared by <paramref name="entry"/>: per port,
    /// its clusters and endpoints (<see cref="Clusters"/>), the proxyless gRPC Listener and
    /// RouteConfiguration named <c>host:port</c>, and what the port adds to every sidecar
    /// (<see cref="SidecarPort"/>).
    /// </summary>
    /// <param name="host">One of the entry's hosts.</param>
    /// <param name="entry">The ServiceEntry (its workloadSelector already resolved into endpoints).</param>
    /// <param name="virtualServices">The VirtualServices bound to the host.</param>
    /// <param name="destinationPorts">The ports of every destination those VirtualServices name.</param>
    /// <param name="rule">The host's DestinationRule (merged), or null.</param>
    /// <param name="registryOnly">Whether the mesh's outbound traffic policy is REGISTRY_ONLY (see <see cref="SidecarPort"/>).</param>
    public static IReadOnlyList<XdsResource> Translate(
        string host,
        ServiceEntrySpec entry,
        IReadOnlyList<VirtualServiceSpec> virtualServices,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts,
        DestinationRuleSpec? rule,
        bool registryOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(virtualServices);
        ArgumentNullException.ThrowIfNull(destinationPorts);
        var resources = new List<XdsResource>();
        foreach (var port in entry.Ports)
        {
            resources.AddRange(Clusters(host, entry, port, rule));
            var hostPort = MeshNames.HostPort(host, port.Number);
            resources.Add(ServiceTranslator.Pack(TypeUrls.Listener, hostPort, ListenerTranslator.BuildApiListener(hostPort)) with { Audience = ResourceAudience.Proxyless });
            resources.Add(ServiceTranslator.Pack(TypeUrls.RouteConfiguration, hostPort, RouteTranslator.Build(host, port.Number, virtualServices, destinationPorts)) with { Audience = ResourceAudience.Proxyless });
            var virtualHost = RouteTranslator.BuildVirtualHost(host, port.Number, virtualServices, destinationPorts, RouteFlavor.Sidecar);
            resources.AddRange(SidecarPort(host, entry, port, virtualHost, registryOnly));
        }

        return resources;
    }

    /// <summary>
    /// What one port of an entry's host adds to every sidecar, in Istio's shapes: for an HTTP port
    /// (or one whose protocol is not declared, routed as HTTP as for Services) its virtual host, a
    /// piece of the RouteConfiguration named by the port, whose domains are the host and
    /// <c>host:port</c> (a <c>*.</c> wildcard host stays one: Envoy matches it as a suffix) and, on
    /// the entry's first host only (two virtual hosts of one RouteConfiguration may not share a
    /// domain), each address that is an IP, bare and with the port; for a TCP or TLS port a
    /// <c>&lt;address&gt;_&lt;port&gt;</c> listener per IP address, one <c>0.0.0.0_&lt;port&gt;</c>
    /// listener matching the CIDR blocks among the addresses, or with no address at all one
    /// <c>0.0.0.0_&lt;port&gt;</c> listener for the port, each a <c>tcp_proxy</c> to the port's cluster.
    /// The CIDR listener's default filter chain takes every other destination of the port where
    /// <c>virtualOutbound</c> would have: <c>PassthroughCluster</c>, or <c>BlackHoleCluster</c>
    /// under REGISTRY_ONLY (<paramref name="registryOnly"/>).
    /// </summary>
    /// <remarks>
    /// A port whose protocol is not declared is a piece like an HTTP port's and, on the entry's
    /// first host, a sniffing listener per IP address (<see cref="SidecarTranslator.SniffedListener"/>)
    /// with the RouteConfiguration of that host and port alone, as Istio builds it; an entry
    /// without IP addresses gets no listener of its own (HTTP by host on <c>0.0.0.0_&lt;port&gt;</c>,
    /// anything else passes through).
    /// A <c>0.0.0.0_&lt;port&gt;</c> TCP listener has the name of the port's HTTP listener; where
    /// the port also carries HTTP virtual hosts, the HTTP listener is served and the TCP one is
    /// reported as shadowed (Istio would merge them into one listener with sniffing).
    /// </remarks>
    public static IReadOnlyList<XdsResource> SidecarPort(string host, ServiceEntrySpec entry, ServiceEntryPort port, Envoy.Config.Route.V3.VirtualHost virtualHost, bool registryOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(port);
        ArgumentNullException.ThrowIfNull(virtualHost);
        var cluster = MeshNames.OutboundCluster(host, port.Number);
        var ips = entry.Addresses.Where(a => !a.Contains('/', StringComparison.Ordinal)).ToList();
        var cidrs = entry.Addresses.Where(a => a.Contains('/', StringComparison.Ordinal)).ToList();
        var protocol = MeshProtocols.Infer(null, port.Protocol);
        if (protocol.IsTcp())
        {
            var listeners = ips.Select(ip => SidecarTranslator.TcpListener(ip, port.Number, cluster)).ToList();
            if (cidrs.Count > 0 || ips.Count == 0)
            {
                var any = SidecarTranslator.TcpListener(SidecarTranslator.AnyAddress, port.Number, cluster);
                var match = new Envoy.Config.Listener.V3.FilterChainMatch();
                foreach (var cidr in cidrs)
                {
                    var slash = cidr.IndexOf('/', StringComparison.Ordinal);
                    match.PrefixRanges.Add(new CidrRange { AddressPrefix = cidr[..slash], PrefixLen = uint.Parse(cidr[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture) });
                }

                if (cidrs.Count > 0)
                {
                    any.FilterChains[0].FilterChainMatch = match;
                    var catchAll = registryOnly ? SidecarTranslator.BlackHoleCluster : SidecarTranslator.PassthroughCluster;
                    any.DefaultFilterChain = new Envoy.Config.Listener.V3.FilterChain { Name = catchAll, Filters = { SidecarTranslator.TcpProxyFilter(catchAll, catchAll) } };
                }

                listeners.Add(any);
            }

            return listeners.Select(l => SidecarTranslator.Pack(TypeUrls.Listener, l.Name, l)).ToList();
        }

        var piece = virtualHost.Clone();
        if (entry.Hosts.Count > 0 && string.Equals(entry.Hosts[0], host, StringComparison.Ordinal))
        {
            foreach (var ip in ips)
            {
                piece.Domains.Add(ip);
                piece.Domains.Add(MeshNames.HostPort(ip, port.Number));
            }
        }

        var payload = piece.ToByteArray();
        var resources = new List<XdsResource> { new(TypeUrls.VirtualHostPiece, piece.Name, ResourceVersion.Of(payload), payload, ResourceAudience.Sidecar) };
        if (protocol == MeshProtocol.Unknown && ips.Count > 0 && string.Equals(entry.Hosts[0], host, StringComparison.Ordinal))
        {
            // Not declared: sniffed on each of the entry's IP addresses, as for a Service (the
            // addresses, like their domains, belong to the entry's first host).
            resources.AddRange(SidecarTranslator.Sniffed(host, port.Number, virtualHost, ips.Select(ip => SidecarTranslator.TcpListener(ip, port.Number, cluster))));
        }

        return resources;
    }

    /// <summary>The clusters and ClusterLoadAssignments of <paramref name="port"/> of <paramref name="host"/>, and of each subset of <paramref name="rule"/>.</summary>
    /// <param name="host">The entry's host this is built for.</param>
    /// <param name="entry">The ServiceEntry (its workloadSelector already resolved into endpoints).</param>
    /// <param name="port">One of its ports.</param>
    /// <param name="rule">The host's DestinationRule (merged), or null.</param>
    public static IReadOnlyList<XdsResource> Clusters(string host, ServiceEntrySpec entry, ServiceEntryPort port, DestinationRuleSpec? rule)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(port);
        var resources = new List<XdsResource>();
        AddCluster(resources, host, entry, port, MeshNames.OutboundCluster(host, port.Number), TrafficPolicies.For(rule, port.Number), subsetLabels: null);
        foreach (var subset in rule?.Subsets ?? [])
        {
            AddCluster(resources, host, entry, port, MeshNames.OutboundCluster(host, port.Number, subset.Name),
                TrafficPolicies.For(rule, port.Number, subset.Name), subset.Labels);
        }

        return resources;
    }

    /// <summary>
    /// The cluster <paramref name="clusterName"/> for each audience: Envoy sidecars, gateways and
    /// proxyless clients, shaped as the type remarks say.
    /// </summary>
    public static (Cluster Sidecar, Cluster Router, Cluster Proxyless) BuildCluster(
        string clusterName, string host, ServiceEntrySpec entry, ServiceEntryPort port, TrafficPolicySpec? policy, IReadOnlyDictionary<string, string>? subsetLabels)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterName);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(port);
        var envoy = ClusterTranslator.BuildOutbound(clusterName, policy, ClusterShape.Envoy);
        var proxyless = ClusterTranslator.BuildOutbound(clusterName, policy, ClusterShape.Proxyless);
        var router = envoy.Clone();
        var metadata = Metadata(host, entry);
        envoy.Metadata = metadata;
        router.Metadata = metadata;
        proxyless.Metadata = metadata;

        // A DestinationRule's PASSTHROUGH already made the Envoy shapes ORIGINAL_DST.
        var passthrough = envoy.Type == Cluster.Types.DiscoveryType.OriginalDst;
        switch (entry.Resolution)
        {
            case "DNS" or "DNS_ROUND_ROBIN":
                var assignment = Assignment(clusterName, host, entry, port, subsetLabels);
                var type = entry.Resolution == "DNS" ? Cluster.Types.DiscoveryType.StrictDns : Cluster.Types.DiscoveryType.LogicalDns;
                if (!passthrough)
                {
                    MakeDns(envoy, type, assignment);
                    MakeDns(router, type, assignment);
                }

                // gRPC takes a DNS cluster of exactly one endpoint, as LOGICAL_DNS.
                if (assignment.Endpoints.Count == 1 && assignment.Endpoints[0].LbEndpoints.Count == 1)
                {
                    MakeDns(proxyless, Cluster.Types.DiscoveryType.LogicalDns, assignment);
                }

                break;
            case "NONE":
                if (!passthrough)
                {
                    envoy.Type = Cluster.Types.DiscoveryType.OriginalDst;
                    envoy.EdsClusterConfig = null;
                    envoy.LbPolicy = Cluster.Types.LbPolicy.ClusterProvided;
                    envoy.ClearLbConfig();
                }

                break;
        }

        return (envoy, router, proxyless);
    }

    /// <summary>
    /// The endpoints of a STATIC or DNS cluster, one locality per endpoint locality: each entry
    /// endpoint (a subset's: those carrying its labels) at the port its <c>ports</c> map names for
    /// the service port, else the port's target port, else its number; with resolution DNS or
    /// DNS_ROUND_ROBIN and no endpoints (nor a workload selector), <paramref name="host"/> itself.
    /// An endpoint's weight is its <c>weight</c> (1 when unset or 0); a locality's the sum of its endpoints'.
    /// </summary>
    public static ClusterLoadAssignment Assignment(string clusterName, string host, ServiceEntrySpec entry, ServiceEntryPort port, IReadOnlyDictionary<string, string>? subsetLabels = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterName);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(port);
        var defaultPort = port.TargetPort ?? port.Number;
        IEnumerable<WorkloadEntrySpec> endpoints = entry.Endpoints;
        if (entry.Endpoints.Count == 0 && entry.WorkloadSelector is null && entry.Resolution is "DNS" or "DNS_ROUND_ROBIN")
        {
            endpoints = [new WorkloadEntrySpec(host, new Dictionary<string, int>(), new Dictionary<string, string>(), null, null, null, null)];
        }

        var byLocality = new SortedDictionary<(string Region, string Zone, string SubZone), List<LbEndpoint>>();
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Address.Length == 0 || !EndpointTranslator.Selects(subsetLabels, endpoint.Labels))
            {
                continue; // An endpoint reached only through its network's gateway: not served yet.
            }

            var address = endpoint.Address.StartsWith(UnixPrefix, StringComparison.Ordinal)
                ? new Address { Pipe = new Pipe { Path = endpoint.Address[UnixPrefix.Length..] } }
                : new Address
                {
                    SocketAddress = new SocketAddress
                    {
                        Address = endpoint.Address,
                        PortValue = (uint)(endpoint.Ports.TryGetValue(port.Name, out var named) && named > 0 ? named : defaultPort),
                    },
                };
            var locality = EndpointTranslator.ParseLocality(endpoint.Locality);
            if (!byLocality.TryGetValue(locality, out var list))
            {
                byLocality[locality] = list = [];
            }

            list.Add(new LbEndpoint
            {
                Endpoint = new Endpoint { Address = address },
                HealthStatus = HealthStatus.Healthy,
                LoadBalancingWeight = (uint)(endpoint.Weight is > 0 ? endpoint.Weight.Value : 1),
            });
        }

        var assignment = new ClusterLoadAssignment { ClusterName = clusterName };
        foreach (var ((region, zone, subZone), list) in byLocality)
        {
            var locality = new LocalityLbEndpoints
            {
                Locality = new Locality { Region = region, Zone = zone, SubZone = subZone },
                LoadBalancingWeight = (uint)Math.Min(list.Sum(e => (long)(e.LoadBalancingWeight ?? 1)), uint.MaxValue),
            };
            locality.LbEndpoints.AddRange(list);
            assignment.Endpoints.Add(locality);
        }

        return assignment;
    }

    /// <summary>The prefix of a Unix domain socket endpoint.</summary>
    private const string UnixPrefix = "unix://";

    private static void AddCluster(List<XdsResource> resources, string host, ServiceEntrySpec entry, ServiceEntryPort port, string clusterName, TrafficPolicySpec? policy, IReadOnlyDictionary<string, string>? subsetLabels)
    {
        var (sidecar, router, proxyless) = BuildCluster(clusterName, host, entry, port, policy, subsetLabels);
        var edsAudience = (ResourceAudience)0;
        var shapes = new List<(Cluster Cluster, ResourceAudience Audience)>();
        foreach (var (cluster, audience) in new[] { (sidecar, ResourceAudience.Sidecar), (router, ResourceAudience.Router), (proxyless, ResourceAudience.Proxyless) })
        {
            if (cluster.Type == Cluster.Types.DiscoveryType.Eds)
            {
                edsAudience |= audience;
            }

            var same = shapes.FindIndex(s => s.Cluster.Equals(cluster));
            if (same >= 0)
            {
                shapes[same] = (shapes[same].Cluster, shapes[same].Audience | audience);
            }
            else
            {
                shapes.Add((cluster, audience));
            }
        }

        foreach (var (cluster, audience) in shapes)
        {
            resources.Add(Pack(TypeUrls.Cluster, clusterName, cluster, audience));
        }

        if (edsAudience == 0)
        {
            return;
        }

        // STATIC's endpoints; for the audiences that get EDS in place of what they cannot take, none.
        var assignment = entry.Resolution == "STATIC"
            ? Assignment(clusterName, host, entry, port, subsetLabels)
            : new ClusterLoadAssignment { ClusterName = clusterName };

        // gRPC clients reject a ClusterLoadAssignment with an endpoint that is not an IP socket address.
        var forProxyless = WithoutPipes(assignment);
        if ((edsAudience & ResourceAudience.Proxyless) != 0 && !forProxyless.Equals(assignment))
        {
            resources.Add(Pack(TypeUrls.ClusterLoadAssignment, clusterName, forProxyless, ResourceAudience.Proxyless));
            edsAudience &= ~ResourceAudience.Proxyless;
        }

        if (edsAudience != 0)
        {
            resources.Add(Pack(TypeUrls.ClusterLoadAssignment, clusterName, assignment, edsAudience));
        }
    }

    private static ClusterLoadAssignment WithoutPipes(ClusterLoadAssignment assignment)
    {
        var copy = new ClusterLoadAssignment { ClusterName = assignment.ClusterName };
        foreach (var locality in assignment.Endpoints)
        {
            var endpoints = locality.LbEndpoints.Where(e => e.Endpoint.Address.SocketAddress is not null).ToList();
            if (endpoints.Count == 0)
            {
                continue;
            }

            var kept = new LocalityLbEndpoints
            {
                Locality = locality.Locality,
                LoadBalancingWeight = (uint)Math.Min(endpoints.Sum(e => (long)(e.LoadBalancingWeight ?? 1)), uint.MaxValue),
            };
            kept.LbEndpoints.AddRange(endpoints);
            copy.Endpoints.Add(kept);
        }

        return copy;
    }

    private static void MakeDns(Cluster cluster, Cluster.Types.DiscoveryType type, ClusterLoadAssignment assignment)
    {
        cluster.Type = type;
        cluster.EdsClusterConfig = null;
        cluster.LoadAssignment = assignment.Clone();
        cluster.DnsLookupFamily = Cluster.Types.DnsLookupFamily.V4Preferred;
        cluster.DnsRefreshRate = Duration.FromTimeSpan(DnsRefreshRate);
        cluster.RespectDnsTtl = true;
    }

    /// <summary>
    /// Istio's telemetry metadata of an outbound cluster (<c>filter_metadata.istio.services</c>):
    /// the host, the entry's name and namespace. MESH_EXTERNAL and MESH_INTERNAL are served alike:
    /// in Istio they differ in mTLS (never originated to an external host), which the mesh does not originate yet.
    /// </summary>
    private static Metadata Metadata(string host, ServiceEntrySpec entry)
    {
        var service = new Struct();
        service.Fields["host"] = Value.ForString(host);
        service.Fields["name"] = Value.ForString(entry.Name);
        service.Fields["namespace"] = Value.ForString(entry.Namespace);
        var istio = new Struct();
        istio.Fields["services"] = Value.ForList(Value.ForStruct(service));
        var metadata = new Metadata();
        metadata.FilterMetadata["istio"] = istio;
        return metadata;
    }

    private static XdsResource Pack(string typeUrl, string name, IMessage message, ResourceAudience audience)
    {
        var payload = message.ToByteArray();
        return new XdsResource(typeUrl, name, ResourceVersion.Of(payload), payload, audience);
    }
}
