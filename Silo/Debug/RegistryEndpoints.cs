using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;
using static Mesh.Orleans.Silo.Debug.ClusterObjectsReader;

namespace Mesh.Orleans.Silo.Debug;

/// <summary>
/// istiod's registry views (<c>pilot/pkg/xds/debug.go</c>) on the debug port: <c>/debug/registryz</c>,
/// every hostname the mesh serves with its ports, source and resolution; <c>/debug/endpointz</c>,
/// per hostname and port its endpoints with locality and health. Built from the member clusters'
/// objects as their ClusterGrains hold them, with the mesh's precedence: a Kubernetes Service wins
/// over a ServiceEntry of the same hostname, and of several entries the first by namespace and name.
/// </summary>
internal static class RegistryEndpoints
{
    private static readonly string[] s_registryKinds = ["Service", "ServiceEntry"];
    private static readonly string[] s_endpointKinds = ["EndpointSlice", "Pod", "Service", "ServiceEntry"];

    /// <summary>Maps <c>/debug/registryz</c> and <c>/debug/endpointz</c>.</summary>
    public static IEndpointRouteBuilder MapRegistryEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/debug/registryz", async (HttpContext http, CancellationToken cancellationToken) =>
        {
            if (DebugQuery.Limit(http.Request, out var error) is not int limit)
            {
                return error!;
            }

            var reads = await ReadAsync(http.RequestServices, s_registryKinds, limit, cancellationToken);
            var hosts = Hosts(reads);
            return Results.Json(new
            {
                services = hosts.Take(limit).Select(Describe),
                truncated = hosts.Count > limit || reads.Any(r => r.Objects?.Truncated == true),
                errors = Errors(reads),
            });
        });

        endpoints.MapGet("/debug/endpointz", async (HttpContext http, CancellationToken cancellationToken) =>
        {
            if (DebugQuery.Limit(http.Request, out var error) is not int limit)
            {
                return error!;
            }

            var hostname = DebugQuery.Hostname(http.Request, out error);
            if (error is not null)
            {
                return error;
            }

            var reads = await ReadAsync(http.RequestServices, s_endpointKinds, limit, cancellationToken);
            var rows = 0;
            var dropped = false;
            var groups = new List<object>();
            foreach (var host in Hosts(reads).Where(h => hostname is null || string.Equals(h.Hostname, hostname, StringComparison.OrdinalIgnoreCase)))
            {
                foreach (var (port, found) in EndpointsOf(host, reads))
                {
                    var listed = found.Take(Math.Max(0, limit - rows)).ToList();
                    rows += listed.Count;
                    dropped |= listed.Count < found.Count;
                    groups.Add(new { hostname = host.Hostname, @namespace = host.Namespace, port, endpoints = listed });
                }
            }

            return Results.Json(new
            {
                endpoints = groups,
                truncated = dropped || reads.Any(r => r.Objects?.Truncated == true),
                errors = Errors(reads),
            });
        });

        return endpoints;
    }

    /// <summary>One mesh hostname: the Services (or, failing those, the ServiceEntries) that declare it, per member cluster.</summary>
    private sealed record Host(string Hostname, string Namespace, List<(string Cluster, MeshService Service)> Services, List<(string Cluster, ServiceEntrySpec Entry)> Entries)
    {
        public bool IsKubernetes => Services.Count > 0;
    }

    /// <summary>Every hostname of <paramref name="reads"/>, by name; a Service wins over a ServiceEntry, in every cluster.</summary>
    private static List<Host> Hosts(IReadOnlyList<ClusterRead> reads)
    {
        var services = new SortedDictionary<string, List<(string, MeshService)>>(StringComparer.Ordinal);
        var entries = new SortedDictionary<string, List<(string, ServiceEntrySpec)>>(StringComparer.Ordinal);
        foreach (var read in reads)
        {
            foreach (var value in read.Objects?.Objects ?? [])
            {
                if (value is MeshService service)
                {
                    Add(services, service.Hostname, (read.ClusterId, service));
                }
                else if (value is ServiceEntrySpec entry)
                {
                    // Objects come by namespace and name, so each cluster's first entry of a host comes first.
                    foreach (var host in entry.Hosts)
                    {
                        Add(entries, host, (read.ClusterId, entry));
                    }
                }
            }
        }

        return services.Keys.Union(entries.Keys).Order(StringComparer.Ordinal).Select(hostname =>
        {
            var declaredBy = services.GetValueOrDefault(hostname) ?? [];
            var entriesOf = declaredBy.Count > 0 ? [] : FirstPerCluster(entries.GetValueOrDefault(hostname) ?? []);
            var ns = declaredBy.Count > 0 ? declaredBy[0].Item2.Namespace : entriesOf[0].Entry.Namespace;
            return new Host(hostname, ns, declaredBy, entriesOf);
        }).ToList();
    }

    private static List<(string Cluster, ServiceEntrySpec Entry)> FirstPerCluster(List<(string Cluster, ServiceEntrySpec Entry)> entries) =>
        entries.GroupBy(e => e.Cluster, StringComparer.Ordinal).Select(g => g.First()).ToList();

    private static void Add<T>(SortedDictionary<string, List<T>> map, string key, T value)
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = [];
            map.Add(key, list);
        }

        list.Add(value);
    }

    /// <summary>A <c>/debug/registryz</c> row, with istiod's words for the registry and the resolution.</summary>
    private static object Describe(Host host)
    {
        if (host.IsKubernetes)
        {
            var service = host.Services[0].Service;
            return new
            {
                hostname = host.Hostname,
                @namespace = host.Namespace,
                name = service.Name,
                kind = "Service",
                registry = "Kubernetes",
                clusters = host.Services.Select(s => s.Cluster).Distinct(StringComparer.Ordinal),
                ports = ServicePorts(service),
                resolution = service.ClusterIp is null or "None" ? "Passthrough" : "ClientSideLB",
                location = (string?)null,
                meshExternal = false,
                clusterVIPs = host.Services.Where(s => s.Service.ClusterIp is not null and not "None")
                    .GroupBy(s => s.Cluster, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Select(s => s.Service.ClusterIp!).ToList(), StringComparer.Ordinal),
                exportTo = service.ExportTo,
            };
        }

        var entry = host.Entries[0].Entry;
        return new
        {
            hostname = host.Hostname,
            @namespace = host.Namespace,
            name = entry.Name,
            kind = "ServiceEntry",
            registry = "External",
            clusters = host.Entries.Select(e => e.Cluster),
            ports = EntryPorts(entry),
            resolution = entry.Resolution switch
            {
                "STATIC" => "ClientSideLB",
                "DNS" => "DNSLB",
                "DNS_ROUND_ROBIN" => "DNSRoundRobinLB",
                _ => "Passthrough",
            },
            location = (string?)entry.Location,
            meshExternal = entry.Location != "MESH_INTERNAL",
            clusterVIPs = host.Entries.Where(e => e.Entry.Addresses.Count > 0)
                .ToDictionary(e => e.Cluster, e => e.Entry.Addresses.ToList(), StringComparer.Ordinal),
            exportTo = (IReadOnlyList<string>?)entry.ExportTo,
        };
    }

    private static IEnumerable<PortRow> ServicePorts(MeshService service) =>
        service.Ports.Select(p => new PortRow(p.Name, p.Port, ProtocolName(MeshProtocols.Infer(p.Name, p.AppProtocol, p.Protocol))));

    private static IEnumerable<PortRow> EntryPorts(ServiceEntrySpec entry) =>
        entry.Ports.Select(p => new PortRow(p.Name, p.Number, ProtocolName(MeshProtocols.Infer(p.Name, p.Protocol))));

    /// <summary>A port as istiod's <c>model.Port</c> prints it.</summary>
    /// <param name="Name">The port's name.</param>
    /// <param name="Port">The service port.</param>
    /// <param name="Protocol">Istio's protocol name.</param>
    private sealed record PortRow(string Name, int Port, string Protocol);

    /// <summary>Istio's spelling of a protocol (<c>pkg/config/protocol</c>); one it would detect at run time is <c>UnsupportedProtocol</c>, as istiod prints it.</summary>
    private static string ProtocolName(MeshProtocol protocol) => protocol switch
    {
        MeshProtocol.Http => "HTTP",
        MeshProtocol.Http2 => "HTTP2",
        MeshProtocol.Grpc => "GRPC",
        MeshProtocol.GrpcWeb => "GRPC-Web",
        MeshProtocol.Https => "HTTPS",
        MeshProtocol.Tcp => "TCP",
        MeshProtocol.Tls => "TLS",
        MeshProtocol.Mongo => "Mongo",
        MeshProtocol.Redis => "Redis",
        MeshProtocol.MySql => "MySQL",
        MeshProtocol.Udp => "UDP",
        _ => "UnsupportedProtocol",
    };

    /// <summary>
    /// The endpoints of each port of <paramref name="host"/>: a Service's from the EndpointSlices
    /// of every cluster (each slice port matched to the service port by name, as Kubernetes does),
    /// with health as istiod reads slice conditions (ready: HEALTHY; terminating: DRAINING; else
    /// UNHEALTHY); a ServiceEntry's listed endpoints and the pods its workload selector picks.
    /// </summary>
    private static IEnumerable<(PortRow Port, List<object> Endpoints)> EndpointsOf(Host host, IReadOnlyList<ClusterRead> reads)
    {
        if (host.IsKubernetes)
        {
            var service = host.Services[0].Service;
            var slices = reads.SelectMany(r => (r.Objects?.Objects ?? []).OfType<MeshEndpointSlice>()
                    .Where(s => s.Namespace == service.Namespace && s.ServiceName == service.Name)
                    .Select(s => (Cluster: s.MemberClusterId ?? r.ClusterId, Slice: s)))
                .ToList();
            foreach (var (port, row) in service.Ports.Zip(ServicePorts(service)))
            {
                var found = new List<object>();
                foreach (var (cluster, slice) in slices)
                {
                    if (slice.Ports.FirstOrDefault(p => p.Name == port.Name && p.Port is > 0)?.Port is not int target)
                    {
                        continue;
                    }

                    foreach (var endpoint in slice.Endpoints.Where(e => e.Addresses.Count > 0))
                    {
                        found.Add(Endpoint(endpoint.Addresses[0], target, endpoint.Zone,
                            endpoint.Ready ? "HEALTHY" : endpoint.Terminating ? "DRAINING" : "UNHEALTHY",
                            cluster, slice.Network, WorkloadOf(endpoint.TargetRef, slice.Namespace), endpoint.NodeName));
                    }
                }

                yield return (row, found);
            }

            yield break;
        }

        foreach (var (cluster, entry) in host.Entries.Take(1))
        {
            var pods = entry.WorkloadSelector is { } selector
                ? reads.Where(r => r.ClusterId == cluster).SelectMany(r => (r.Objects?.Objects ?? []).OfType<MeshPod>())
                    .Where(p => p.Namespace == entry.Namespace && p.Ip is not null && selector.All(l => p.Labels.TryGetValue(l.Key, out var v) && v == l.Value))
                    .ToList()
                : [];
            foreach (var (port, row) in entry.Ports.Zip(EntryPorts(entry)))
            {
                var found = new List<object>();
                foreach (var endpoint in entry.Endpoints)
                {
                    var target = endpoint.Ports.TryGetValue(port.Name, out var mapped) ? mapped : port.TargetPort ?? port.Number;
                    found.Add(Endpoint(endpoint.Address, target, endpoint.Locality, "HEALTHY", cluster, endpoint.Network, null, null));
                }

                foreach (var pod in pods)
                {
                    found.Add(Endpoint(pod.Ip!, port.TargetPort ?? port.Number, null, "HEALTHY", cluster, null, pod.Name, null));
                }

                yield return (row, found);
            }
        }
    }

    private static object Endpoint(string address, int port, string? locality, string health, string cluster, string? network, string? workload, string? node)
    {
        var (region, zone, subZone) = EndpointTranslator.ParseLocality(locality);
        return new
        {
            address,
            port,
            locality = new { region, zone, subZone },
            health,
            cluster,
            network,
            workload,
            node,
        };
    }

    /// <summary>The pod name of an endpoint's <c>targetRef</c> (<c>Pod/namespace/name</c>), or null when it names no pod.</summary>
    private static string? WorkloadOf(string? targetRef, string sliceNamespace) =>
        MeshPod.PodOf(targetRef, sliceNamespace) is { } pod ? pod[(pod.LastIndexOf('/') + 1)..] : null;
}
