using System.Globalization;
using Envoy.Config.Route.V3;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Proxies;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>ROUTE_CONFIGURATION, VIRTUAL_HOST and HTTP_ROUTE patches (Istio's rc_patch.go).</summary>
public static partial class EnvoyFilterPatcher
{
    private static List<RouteConfiguration> PatchRouteConfigurations(Run run, List<RouteConfiguration> routes)
    {
        foreach (var route in routes)
        {
            var context = ContextOf(run.Context.Kind, route.Name.StartsWith("inbound|", StringComparison.Ordinal));
            foreach (var patch in run.Patches(EnvoyFilterApplyTo.RouteConfiguration))
            {
                if (patch.Operation == EnvoyFilterOperation.Merge && ContextMatches(patch.Match.Context, context) && RouteConfigurationMatches(run.Context.Kind, route, patch))
                {
                    ProtoMerge.Merge(route, patch.Value!);
                    run.Applied(patch);
                }
            }

            PatchVirtualHosts(run, context, route);
        }

        return routes;
    }

    private static void PatchVirtualHosts(Run run, EnvoyFilterContext context, RouteConfiguration route)
    {
        var removed = new HashSet<VirtualHost>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < route.VirtualHosts.Count; i++)
        {
            var removedHere = false;
            foreach (var patch in run.Patches(EnvoyFilterApplyTo.VirtualHost))
            {
                if (!ContextMatches(patch.Match.Context, context) || !RouteConfigurationMatches(run.Context.Kind, route, patch) || !VirtualHostMatches(route.VirtualHosts[i], patch))
                {
                    continue;
                }

                switch (patch.Operation)
                {
                    case EnvoyFilterOperation.Remove:
                        removed.Add(route.VirtualHosts[i]);
                        removedHere = true;
                        break;
                    case EnvoyFilterOperation.Merge:
                        ProtoMerge.Merge(route.VirtualHosts[i], patch.Value!);
                        break;
                    case EnvoyFilterOperation.Replace:
                        route.VirtualHosts[i] = patch.Copy<VirtualHost>();
                        break;
                    default:
                        continue;
                }

                run.Applied(patch);
                if (removedHere)
                {
                    break;
                }
            }

            if (!removedHere)
            {
                PatchHttpRoutes(run, context, route, route.VirtualHosts[i]);
            }
        }

        foreach (var patch in run.Patches(EnvoyFilterApplyTo.VirtualHost))
        {
            if (patch.Operation == EnvoyFilterOperation.Add && ContextMatches(patch.Match.Context, context) && RouteConfigurationMatches(run.Context.Kind, route, patch))
            {
                route.VirtualHosts.Add(patch.Copy<VirtualHost>());
                run.Applied(patch);
            }
        }

        if (removed.Count > 0)
        {
            var kept = route.VirtualHosts.Where(h => !removed.Contains(h)).ToList();
            route.VirtualHosts.Clear();
            route.VirtualHosts.AddRange(kept);
        }
    }

    private static void PatchHttpRoutes(Run run, EnvoyFilterContext context, RouteConfiguration route, VirtualHost host)
    {
        var patches = run.Patches(EnvoyFilterApplyTo.HttpRoute)
            .Where(p => ContextMatches(p.Match.Context, context) && RouteConfigurationMatches(run.Context.Kind, route, p) && VirtualHostMatches(host, p))
            .ToList();
        if (patches.Count == 0)
        {
            return;
        }

        // Each route's own patches first (REMOVE ends them), then the list operations.
        var kept = new List<Route>(host.Routes.Count);
        foreach (var httpRoute in host.Routes)
        {
            var removed = false;
            foreach (var patch in patches)
            {
                if (!RouteMatches(httpRoute, patch))
                {
                    continue;
                }

                if (patch.Operation == EnvoyFilterOperation.Remove)
                {
                    run.Applied(patch);
                    removed = true;
                    break;
                }

                if (patch.Operation == EnvoyFilterOperation.Merge)
                {
                    ProtoMerge.Merge(httpRoute, patch.Value!);
                    run.Applied(patch);
                }
            }

            if (!removed)
            {
                kept.Add(httpRoute);
            }
        }

        foreach (var patch in patches)
        {
            var hasRouteMatch = patch.Match.RouteConfiguration?.HasRouteMatch is true;
            var at = hasRouteMatch ? FirstIndex(kept, r => RouteMatches(r, patch)) : -1;
            switch (patch.Operation)
            {
                case EnvoyFilterOperation.Add:
                case EnvoyFilterOperation.InsertAfter when !hasRouteMatch:
                    kept.Add(patch.Copy<Route>());
                    break;
                case EnvoyFilterOperation.InsertBefore or EnvoyFilterOperation.InsertFirst when !hasRouteMatch:
                    kept.Insert(0, patch.Copy<Route>());
                    break;
                case EnvoyFilterOperation.InsertAfter when at >= 0:
                    kept.Insert(at + 1, patch.Copy<Route>());
                    break;
                case EnvoyFilterOperation.InsertBefore when at >= 0:
                    kept.Insert(at, patch.Copy<Route>());
                    break;
                case EnvoyFilterOperation.InsertFirst when at >= 0:
                    kept.Insert(0, patch.Copy<Route>());
                    break;
                default:
                    continue;
            }

            run.Applied(patch);
        }

        host.Routes.Clear();
        host.Routes.AddRange(kept);
    }

    /// <summary>
    /// Istio's <c>routeConfigurationMatch</c>: the name, and the port, which a sidecar's route
    /// configuration is named by (<c>8080</c>, or <c>inbound|8080||</c>) and a gateway's carries
    /// after <c>http.</c> or <c>https.</c>; port name and gateway only for gateways.
    /// </summary>
    private static bool RouteConfigurationMatches(ProxyKind kind, RouteConfiguration route, Active patch)
    {
        if (patch.Match.RouteConfiguration is not { } match)
        {
            return true;
        }

        if (match.Name is { } name && name != route.Name)
        {
            return false;
        }

        if (kind != ProxyKind.Router)
        {
            return match.PortNumber == 0 || match.PortNumber == SidecarRoutePort(route.Name);
        }

        var (port, portName, gateway) = GatewayRouteParts(route.Name);
        return (match.PortName is null || match.PortName == portName)
            && (match.Gateway is null || match.Gateway == gateway)
            && (match.PortNumber == 0 || match.PortNumber == port);
    }

    private static int SidecarRoutePort(string name) =>
        name.StartsWith("inbound", StringComparison.Ordinal) ? InboundPort(name)
        : int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port
        : 0;

    /// <summary>
    /// A gateway route configuration's port, and, for <c>https.port.portName.gateway.namespace</c>,
    /// its port name and gateway (<c>namespace/gateway</c>), as Istio's <c>ParseGatewayRDSRouteName</c> reads them.
    /// </summary>
    private static (int Port, string? PortName, string? Gateway) GatewayRouteParts(string name)
    {
        if (name.StartsWith("http.", StringComparison.Ordinal))
        {
            var rest = name["http.".Length..];
            var dot = rest.IndexOf('.', StringComparison.Ordinal);
            return (int.TryParse(dot < 0 ? rest : rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : 0, null, null);
        }

        var parts = name.Split('.');
        if (parts is ["https", var number, var portName, var gateway, var ns])
        {
            return (int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : 0, portName, ns + "/" + gateway);
        }

        return (0, null, null);
    }

    /// <summary>Istio's <c>virtualHostMatch</c>: the name and a domain.</summary>
    private static bool VirtualHostMatches(VirtualHost host, Active patch) =>
        patch.Match.RouteConfiguration is not { } match
        || ((match.VirtualHostName is null || match.VirtualHostName == host.Name)
            && (match.DomainName is null || host.Domains.Contains(match.DomainName)));

    /// <summary>Istio's <c>routeMatch</c>: the name and the kind of action.</summary>
    private static bool RouteMatches(Route route, Active patch)
    {
        if (patch.Match.RouteConfiguration is not { HasRouteMatch: true } match)
        {
            return true;
        }

        if (match.RouteName is { } name && name != route.Name)
        {
            return false;
        }

        return match.RouteAction switch
        {
            EnvoyFilterRouteAction.Route => route.ActionCase == Route.ActionOneofCase.Route_,
            EnvoyFilterRouteAction.Redirect => route.ActionCase == Route.ActionOneofCase.Redirect,
            EnvoyFilterRouteAction.DirectResponse => route.ActionCase == Route.ActionOneofCase.DirectResponse,
            _ => true,
        };
    }
}
