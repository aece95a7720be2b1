using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Grains.Registry;

/// <summary>
/// Finds valid objects that refer to what the member cluster does not have, as Istio's
/// analyzer does (IST0101 ReferencedResourceNotFound): a VirtualService for a host that is no
/// Service, a route destination with no Service or no such port, an EndpointSlice whose
/// Service does not exist. Pure: a declaration in, warnings out.
/// </summary>
public static class ConfigAnalyzer
{
    /// <summary>The warnings for <paramref name="config"/>, in kind, namespace, name and field order.</summary>
    public static IReadOnlyList<ConfigWarning> Analyze(ClusterConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var ports = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        foreach (var service in config.Services)
        {
            ports[service.Hostname] = service.Ports.Select(p => p.Port).ToList();
        }

        var warnings = new List<ConfigWarning>();
        foreach (var virtualService in config.VirtualServices)
        {
            warnings.AddRange(ForVirtualService(virtualService, ports));
        }

        foreach (var slice in config.EndpointSlices)
        {
            warnings.AddRange(ForEndpointSlice(slice, ports));
        }

        return Ordered(warnings);
    }

    /// <summary><paramref name="warnings"/> without repeats, in kind, namespace, name and field order.</summary>
    public static IReadOnlyList<ConfigWarning> Ordered(IEnumerable<ConfigWarning> warnings) => warnings
        .Distinct()
        .OrderBy(w => w.Kind, StringComparer.Ordinal)
        .ThenBy(w => w.Namespace, StringComparer.Ordinal)
        .ThenBy(w => w.Name, StringComparer.Ordinal)
        .ThenBy(w => w.Field, StringComparer.Ordinal)
        .ToList();

    /// <summary>The warnings of one EndpointSlice, given the ports of every Service by hostname.</summary>
    public static IReadOnlyList<ConfigWarning> ForEndpointSlice(MeshEndpointSlice slice, IReadOnlyDictionary<string, IReadOnlyList<int>> ports)
    {
        ArgumentNullException.ThrowIfNull(slice);
        ArgumentNullException.ThrowIfNull(ports);
        return ports.ContainsKey(slice.ServiceHostname)
            ? []
            : [new ConfigWarning("EndpointSlice", slice.Namespace, slice.Name, "metadata.labels[kubernetes.io/service-name]",
                $"Service {slice.Namespace}/{slice.ServiceName} does not exist; these endpoints are not served until it does")];
    }

    /// <summary>The warnings of one VirtualService, given the ports of every Service by hostname.</summary>
    public static IReadOnlyList<ConfigWarning> ForVirtualService(VirtualServiceSpec virtualService, IReadOnlyDictionary<string, IReadOnlyList<int>> ports)
    {
        ArgumentNullException.ThrowIfNull(virtualService);
        ArgumentNullException.ThrowIfNull(ports);
        var warnings = new List<ConfigWarning>();
        AnalyzeVirtualService(virtualService, ports, warnings);
        return warnings;
    }

    private static void AnalyzeVirtualService(VirtualServiceSpec virtualService, IReadOnlyDictionary<string, IReadOnlyList<int>> ports, List<ConfigWarning> warnings)
    {
        void Warn(string field, string message) =>
            warnings.Add(new ConfigWarning("VirtualService", virtualService.Namespace, virtualService.Name, field, message));

        for (var i = 0; i < virtualService.Hosts.Count; i++)
        {
            if (!ports.ContainsKey(virtualService.Hosts[i]))
            {
                Warn($"spec.hosts[{i}]", $"{virtualService.Hosts[i]} is not a Service of the mesh; no proxy gets routes for it");
            }
        }

        foreach (var (h, port, d) in RouteDestinations.Missing(virtualService, ports))
        {
            var http = virtualService.Http[h];
            var destination = http.Route[d];
            var route = http.Name is null ? $"spec.http[{h}]" : $"route '{http.Name}'";

            // The translator's rule: a missing destination still served means no destination was left.
            var consequence = RouteDestinations.Served(http, port, ports).Contains(destination)
                ? $"calls that {route} takes on port {port} fail (UNAVAILABLE for gRPC clients, 503 for Envoy): its cluster has no endpoints until the destination exists"
                : $"left out of {route} on port {port}; the route's other destinations take its share";
            var destinationPort = RouteDestinations.Port(destination, port, ports);
            var field = $"spec.http[{h}].route[{d}].destination";
            Warn(ports.ContainsKey(destination.Host) ? field + ".port.number" : field + ".host",
                ports.ContainsKey(destination.Host)
                    ? $"{destination.Host} has no port {destinationPort} ({MeshNames.OutboundCluster(destination.Host, destinationPort)} does not exist); {consequence}"
                    : $"{destination.Host} is not a Service of the mesh; {consequence}");
        }
    }
}
