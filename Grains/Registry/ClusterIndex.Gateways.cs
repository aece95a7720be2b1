using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Grains.Registry;

/// <summary>The Gateways of a member cluster and the VirtualServices bound to them.</summary>
public sealed partial class ClusterIndex
{
    private readonly SortedDictionary<(string Namespace, string Name), GatewaySpec> _gateways = new(s_byNamespacedName);
    private readonly SortedDictionary<(string Namespace, string Name), VirtualServiceSpec> _gatewayBound = new(s_byNamespacedName);

    /// <summary>
    /// Counts the changes that may have changed what some gateway is configured by (a Gateway,
    /// a VirtualService, a Service or an EnvoyFilter came, went or changed), so a caller knows when to ask
    /// <see cref="GatewayInputsFor"/> again.
    /// </summary>
    public long GatewayGeneration { get; private set; }

    /// <summary>
    /// What configures the gateway workloads carrying <paramref name="labels"/>: the Gateways
    /// whose selector those labels satisfy (an empty selector selects every gateway, as in Istio),
    /// the VirtualServices bound to any of them and exported to the gateways' namespace
    /// <paramref name="ns"/> (by their <c>exportTo</c>, else <paramref name="virtualServiceExportTo"/>;
    /// all of them when the namespace is not known), the delegates those name, the ports of every
    /// destination, and the EnvoyFilters of the root namespace and of <paramref name="ns"/> that select them.
    /// </summary>
    public GatewayInputs GatewayInputsFor(IReadOnlyDictionary<string, string> labels, string? ns = null, string rootNamespace = "istio-system", IReadOnlyList<string>? virtualServiceExportTo = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var gateways = _gateways.Values.Where(g => GatewayBinding.Selects(g, labels)).ToList();

        // The EnvoyFilters of the root namespace and of the gateway's that select it (or select none).
        var filters = EnvoyFiltersFor(ns ?? rootNamespace, labels, rootNamespace).All;
        if (gateways.Count == 0)
        {
            return filters.Count == 0 ? GatewayInputs.None : GatewayInputs.None with { EnvoyFilters = filters };
        }

        var names = gateways.Select(GatewayBinding.NameOf).ToHashSet(StringComparer.Ordinal);
        // As Istio's VirtualServicesForGateway: those exported to the gateway's namespace, when it is known.
        var virtualServices = _gatewayBound.Values
            .Where(v => GatewayBinding.Resolve(v, v.Gateways ?? []).Any(names.Contains)
                && (ns is null || Scoping.ProxyVisibility.IsExported(v.Namespace, v.ExportTo, virtualServiceExportTo, ns)))
            .ToList();
        virtualServices.AddRange(Delegates(virtualServices)
            .Select(d => _delegates.GetValueOrDefault(d))
            .OfType<VirtualServiceSpec>()
            .OrderBy(v => v.Namespace, StringComparer.Ordinal)
            .ThenBy(v => v.Name, StringComparer.Ordinal));
        var destinationPorts = new SortedDictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        foreach (var destination in virtualServices.SelectMany(RouteDestinations.Hosts))
        {
            if (_ports.TryGetValue(destination, out var ports))
            {
                destinationPorts[destination] = ports;
            }
        }

        return new GatewayInputs(gateways, virtualServices, destinationPorts, filters.Count == 0 ? null : filters);
    }

    /// <summary>
    /// What a VirtualService bound to gateways refers to that the cluster lacks: a gateway that is
    /// no Gateway of the cluster, and an HTTP route destination that is no Service (Istio's
    /// analyzer reports both; the gateway's route to it answers 503).
    /// </summary>
    private List<ConfigWarning> GatewayWarnings(VirtualServiceSpec virtualService)
    {
        var warnings = new List<ConfigWarning>();
        if (!GatewayBinding.BindsGateways(virtualService))
        {
            return warnings;
        }

        var gateways = virtualService.Gateways ?? [];
        for (var i = 0; i < gateways.Count; i++)
        {
            var name = GatewayBinding.Resolve(virtualService, gateways[i]);
            if (name != VirtualServiceSpec.MeshGateway && !_gateways.ContainsKey(GatewayBinding.Split(name)))
            {
                warnings.Add(new ConfigWarning("VirtualService", virtualService.Namespace, virtualService.Name, $"spec.gateways[{i}]",
                    $"gateway {name} is not a Gateway of the mesh; no gateway gets these routes through it"));
            }
        }

        if (virtualService.AppliesToMesh)
        {
            // Its destinations are checked for the mesh already.
            return warnings;
        }

        for (var h = 0; h < virtualService.Http.Count; h++)
        {
            for (var d = 0; d < virtualService.Http[h].Route.Count; d++)
            {
                var host = virtualService.Http[h].Route[d].Host;
                if (!_ports.ContainsKey(host))
                {
                    warnings.Add(new ConfigWarning("VirtualService", virtualService.Namespace, virtualService.Name, $"spec.http[{h}].route[{d}].destination.host",
                        $"{host} is not a Service of the mesh; a gateway's calls on this route fail (503) until it exists"));
                }
            }
        }

        return warnings;
    }
}
