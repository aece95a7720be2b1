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
            AnalyzeVirtualService(virtualService, ports, warnings);
        }

        foreach (var slice in config.EndpointSlices)
        {
            if (!ports.ContainsKey(slice.ServiceHostname))
            {
                warnings.Add(new ConfigWarning("EndpointSlice", slice.Namespace, slice.Name, "metadata.labels[kubernetes.io/service-name]",
                    $"Service {slice.Namespace}/{slice.ServiceName} does not exist; these endpoints are not served until it does"));
            }
        }

        return warnings
            .Distinct()
            .OrderBy(w => w.Kind, StringComparer.Ordinal)
            .ThenBy(w => w.Namespace, StringComparer.Ordinal)
            .ThenBy(w => w.Name, StringComparer.Ordinal)
            .ThenBy(w => w.Field, StringComparer.Ordinal)
            .ToList();
    }

    private static void AnalyzeVirtualService(VirtualServiceSpec virtualService, Dictionary<string, IReadOnlyList<int>> ports, List<ConfigWarning> warnings)
    {
        void Warn(string field, string message) =>
            warnings.Add(new ConfigWarning("VirtualService", virtualService.Namespace, virtualService.Name, field, message));

        var routedPorts = new SortedSet<int>();
        for (var i = 0; i < virtualService.Hosts.Count; i++)
        {
            var host = virtualService.Hosts[i];
            if (ports.TryGetValue(host, out var hostPorts))
            {
                routedPorts.UnionWith(hostPorts);
            }
            else
            {
                Warn($"spec.hosts[{i}]", $"{host} is not a Service of the mesh; no proxy gets routes for it");
            }
        }

        for (var h = 0; h < virtualService.Http.Count; h++)
        {
            var http = virtualService.Http[h];
            var route = http.Name is null ? $"spec.http[{h}]" : $"route '{http.Name}'";
            foreach (var port in routedPorts)
            {
                if (http.Match.Count > 0 && http.Match.All(m => m.Port is not null && m.Port != port))
                {
                    continue;
                }

                var missing = Enumerable.Range(0, http.Route.Count).Where(d => !RouteDestinations.Exists(http.Route[d], port, ports)).ToList();
                if (missing.Count == 0)
                {
                    continue;
                }

                var remainingWeight = Enumerable.Range(0, http.Route.Count).Except(missing).Sum(d => (long)http.Route[d].Weight);
                var consequence = missing.Count == http.Route.Count || remainingWeight == 0
                    ? $"calls that {route} takes on port {port} fail (UNAVAILABLE for gRPC clients, 503 for Envoy): its cluster has no endpoints until the destination exists"
                    : $"left out of {route} on port {port}; the route's other destinations take its share";
                foreach (var d in missing)
                {
                    var destination = http.Route[d];
                    var destinationPort = RouteDestinations.Port(destination, port, ports);
                    var field = $"spec.http[{h}].route[{d}].destination";
                    Warn(ports.ContainsKey(destination.Host) ? field + ".port.number" : field + ".host",
                        ports.ContainsKey(destination.Host)
                            ? $"{destination.Host} has no port {destinationPort} ({MeshNames.OutboundCluster(destination.Host, destinationPort)} does not exist); {consequence}"
                            : $"{destination.Host} is not a Service of the mesh; {consequence}");
                }
            }
        }
    }
}
