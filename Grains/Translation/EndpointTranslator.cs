using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>Builds EDS resources from EndpointSlices.</summary>
public static class EndpointTranslator
{
    /// <summary>
    /// The ClusterLoadAssignment of one service port. Each endpoint takes the port number its
    /// own slice gives for the port's name (slices of one Service may disagree during a
    /// rollout). Only ready endpoints are included, as HEALTHY; not-ready and terminating
    /// ones are left out so that nothing routes to them. Endpoints are grouped by locality,
    /// each locality weighted by its endpoint count; duplicates (same address and port in
    /// two slices) are sent once. For a subset cluster, only the endpoints whose pod labels
    /// (<see cref="SliceEndpoint.Labels"/>) hold every one of <paramref name="subsetLabels"/>.
    /// An endpoint whose pod takes mesh mutual TLS on its port carries Istio's
    /// <c>envoy.transport_socket_match: {tlsMode: istio}</c>, which picks the cluster's mutual TLS
    /// socket (auto mutual TLS), unless the DestinationRule's <paramref name="tlsMode"/> for the
    /// cluster is set and not ISTIO_MUTUAL (Istio's <c>checkMtlsEnabled</c>).
    /// </summary>
    public static ClusterLoadAssignment Build(string clusterName, ServicePort port, IEnumerable<MeshEndpointSlice> slices, IReadOnlyDictionary<string, string>? subsetLabels = null, string? tlsMode = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterName);
        ArgumentNullException.ThrowIfNull(port);
        ArgumentNullException.ThrowIfNull(slices);

        var byLocality = new SortedDictionary<(string Region, string Zone, string SubZone), SortedDictionary<(string Address, int Port), (string? Cluster, string? Network, string? Workload, string Namespace, string Service, IReadOnlyDictionary<string, string>? Labels, bool Mtls)>>();
        foreach (var slice in slices)
        {
            var slicePort = slice.Ports.FirstOrDefault(p => p.Name == port.Name && p.Port is > 0);
            if (slicePort?.Port is not int targetPort)
            {
                continue;
            }

            foreach (var endpoint in slice.Endpoints)
            {
                if (!endpoint.Ready || endpoint.Addresses.Count == 0 || !Selects(subsetLabels, endpoint.Labels))
                {
                    continue;
                }

                var locality = ParseLocality(endpoint.Zone);
                if (!byLocality.TryGetValue(locality, out var set))
                {
                    set = [];
                    byLocality.Add(locality, set);
                }

                // A duplicate (same address and port in two slices) is sent once, with the first slice's origin.
                var mtls = endpoint.TlsMode == "istio" && (endpoint.PlaintextPorts is null || !endpoint.PlaintextPorts.Contains(targetPort)) && tlsMode is null or "ISTIO_MUTUAL";
                set.TryAdd((endpoint.Addresses[0], targetPort), (slice.MemberClusterId, slice.Network, WorkloadName(endpoint.TargetRef), slice.Namespace, slice.ServiceName, endpoint.Labels, mtls));
            }
        }

        var assignment = new ClusterLoadAssignment { ClusterName = clusterName };
        foreach (var ((region, zone, subZone), endpoints) in byLocality)
        {
            var locality = new LocalityLbEndpoints
            {
                Locality = new Locality { Region = region, Zone = zone, SubZone = subZone },
                LoadBalancingWeight = (uint)endpoints.Count,
            };
            foreach (var ((address, portNumber), origin) in endpoints)
            {
                locality.LbEndpoints.Add(new LbEndpoint
                {
                    Endpoint = new Endpoint
                    {
                        Address = new Address
                        {
                            SocketAddress = new SocketAddress { Address = address, PortValue = (uint)portNumber },
                        },
                    },
                    HealthStatus = HealthStatus.Healthy,
                    LoadBalancingWeight = 1,
                    Metadata = WithTlsMode(Origin(origin.Cluster, origin.Network, origin.Workload, origin.Namespace, origin.Service, origin.Labels), origin.Mtls),
                });
            }

            assignment.Endpoints.Add(locality);
        }

        return assignment;
    }

    /// <summary>The key of endpoint metadata a cluster's <c>transport_socket_matches</c> match on (Istio's <c>EnvoyTransportSocketMetadataKey</c>).</summary>
    public const string TransportSocketMatchKey = "envoy.transport_socket_match";

    private static Metadata? WithTlsMode(Metadata? metadata, bool mtls)
    {
        if (!mtls)
        {
            return metadata;
        }

        metadata ??= new Metadata();
        var match = new Struct();
        match.Fields["tlsMode"] = Value.ForString("istio");
        metadata.FilterMetadata[TransportSocketMatchKey] = match;
        return metadata;
    }

    /// <summary>
    /// Where an endpoint comes from, as Istio writes it into <c>filter_metadata.istio</c>:
    /// <c>workload</c> is <c>name;namespace;canonical-service;canonical-revision;member-cluster</c>
    /// and <c>network</c> the member cluster's network. Null when the slice names no member cluster.
    /// The canonical service and revision are read from the pod's labels as Istio reads them
    /// (<c>service.istio.io/canonical-name</c>, <c>app.kubernetes.io/name</c>, <c>app</c>; and
    /// <c>service.istio.io/canonical-revision</c>, <c>app.kubernetes.io/version</c>, <c>version</c>),
    /// else the Service's name and <c>latest</c>.
    /// </summary>
    public static Metadata? Origin(string? memberCluster, string? network, string? workload, string ns, string service, IReadOnlyDictionary<string, string>? labels = null)
    {
        if (memberCluster is null)
        {
            return null;
        }

        var istio = new Struct();
        var canonicalService = Label(labels, "service.istio.io/canonical-name", "app.kubernetes.io/name", "app") ?? service;
        var canonicalRevision = Label(labels, "service.istio.io/canonical-revision", "app.kubernetes.io/version", "version") ?? "latest";
        istio.Fields["workload"] = Value.ForString($"{workload};{ns};{canonicalService};{canonicalRevision};{memberCluster}");
        if (!string.IsNullOrEmpty(network))
        {
            istio.Fields["network"] = Value.ForString(network);
        }

        var metadata = new Metadata();
        metadata.FilterMetadata["istio"] = istio;
        return metadata;
    }

    /// <summary>The value of the first of <paramref name="keys"/> that <paramref name="labels"/> holds, or null.</summary>
    private static string? Label(IReadOnlyDictionary<string, string>? labels, params string[] keys)
    {
        foreach (var key in keys)
        {
            if (labels is not null && labels.TryGetValue(key, out var value))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a subset's labels select an endpoint with <paramref name="labels"/>: every
    /// selector label present with the same value. A subset without labels (or no subset) selects
    /// every endpoint; an endpoint whose pod is unknown has no labels.
    /// </summary>
    public static bool Selects(IReadOnlyDictionary<string, string>? selector, IReadOnlyDictionary<string, string>? labels)
    {
        if (selector is null || selector.Count == 0)
        {
            return true;
        }

        return labels is not null && selector.All(s => labels.TryGetValue(s.Key, out var value) && string.Equals(value, s.Value, StringComparison.Ordinal));
    }

    /// <summary>The workload's name from a targetRef (<c>Kind/namespace/name</c>), or empty.</summary>
    private static string WorkloadName(string? targetRef)
    {
        if (string.IsNullOrEmpty(targetRef))
        {
            return string.Empty;
        }

        var slash = targetRef.LastIndexOf('/');
        return slash < 0 ? targetRef : targetRef[(slash + 1)..];
    }

    /// <summary>
    /// A slice's zone is either a plain zone, or Istio's <c>region/zone/subzone</c> locality
    /// form; missing parts stay empty.
    /// </summary>
    public static (string Region, string Zone, string SubZone) ParseLocality(string? zone)
    {
        if (string.IsNullOrEmpty(zone))
        {
            return (string.Empty, string.Empty, string.Empty);
        }

        var parts = zone.Split('/');
        return parts.Length switch
        {
            1 => (string.Empty, parts[0], string.Empty),
            2 => (parts[0], parts[1], string.Empty),
            _ => (parts[0], parts[1], parts[2]),
        };
    }
}
