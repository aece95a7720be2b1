using Envoy.Config.Route.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>Builds RDS resources from a service port and the VirtualServices bound to its host.</summary>
public static partial class RouteTranslator
{
    /// <summary>The filter name Envoy and gRPC know the fault filter by, as a typed_per_filter_config key.</summary>
    public const string FaultFilter = "envoy.filters.http.fault";

    /// <summary>The filter name of Envoy's CORS filter, as a typed_per_filter_config key.</summary>
    public const string CorsFilter = "envoy.filters.http.cors";

    /// <summary>
    /// The proxyless gRPC RouteConfiguration named <c>host:port</c>: the one virtual host of
    /// <see cref="BuildVirtualHost"/> for <see cref="RouteFlavor.Proxyless"/>.
    /// </summary>
    /// <param name="host">The service's fully qualified hostname.</param>
    /// <param name="port">The service port.</param>
    /// <param name="virtualServices">The VirtualServices bound to <paramref name="host"/> (and the delegates they name).</param>
    /// <param name="destinationPorts">The ports of each destination host, to infer an omitted destination port.</param>
    public static RouteConfiguration Build(
        string host,
        int port,
        IEnumerable<VirtualServiceSpec> virtualServices,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts)
    {
        ArgumentNullException.ThrowIfNull(virtualServices);
        var configuration = new RouteConfiguration { Name = MeshNames.HostPort(host, port) };
        configuration.VirtualHosts.Add(BuildVirtualHost(host, port, virtualServices.ToList(), destinationPorts, RouteFlavor.Proxyless));
        return configuration;
    }

    /// <summary>
    /// The virtual host named <c>host:port</c>, answering to the names Istio gives the service:
    /// the HTTP routes of the VirtualServices bound to <paramref name="host"/> that apply to the
    /// mesh, in namespace then name order (a root route's <c>delegate</c> replaced by the
    /// delegate's routes), one route per match that applies on <paramref name="port"/>; or,
    /// when they give no route, a single default route to the service's own cluster.
    /// </summary>
    /// <param name="host">The service's fully qualified hostname.</param>
    /// <param name="port">The service port.</param>
    /// <param name="bound">The VirtualServices bound to <paramref name="host"/>, and the delegate VirtualServices they name.</param>
    /// <param name="destinationPorts">The ports of every destination host that is a Service, to infer omitted ports and leave out missing destinations.</param>
    /// <param name="flavor">The kind of proxy the routes are for.</param>
    public static VirtualHost BuildVirtualHost(
        string host,
        int port,
        IReadOnlyList<VirtualServiceSpec> bound,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts,
        RouteFlavor flavor)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentNullException.ThrowIfNull(bound);
        ArgumentNullException.ThrowIfNull(destinationPorts);

        var virtualHost = new VirtualHost { Name = MeshNames.HostPort(host, port) };
        virtualHost.Domains.AddRange(Domains(host, port));

        // Istio's proxies tell the upstream which attempt a request is (x-envoy-attempt-count),
        // so a retried call can be recognised; gRPC clients do not read the field.
        virtualHost.IncludeRequestAttemptCount = flavor != RouteFlavor.Proxyless;
        foreach (var http in HttpRoutes(host, bound))
        {
            AddRoutes(virtualHost, http, port, destinationPorts, flavor);
        }

        if (virtualHost.Routes.Count == 0)
        {
            var action = new RouteAction
            {
                Cluster = MeshNames.OutboundCluster(host, port),
                // Istio disables Envoy's 15 s default route timeout unless a VirtualService sets one.
                Timeout = Duration.FromTimeSpan(TimeSpan.Zero),
            };
            if (flavor != RouteFlavor.Proxyless)
            {
                // Istio's default outbound route (BuildDefaultHTTPOutboundRoute): no grpc-timeout
                // header overrides the disabled timeout, and the mesh's default retry policy.
#pragma warning disable CS0612 // Istio still sets max_grpc_timeout rather than max_stream_duration.
                action.MaxGrpcTimeout = Duration.FromTimeSpan(TimeSpan.Zero);
#pragma warning restore CS0612
                action.RetryPolicy = BuildRetryPolicy(null);
            }

            virtualHost.Routes.Add(new Route { Name = "default", Match = new RouteMatch { Prefix = "/" }, Route_ = action });
        }

        return virtualHost;
    }

    /// <summary>
    /// The HTTP routes that apply to <paramref name="host"/> for the mesh, in order: the roots'
    /// routes by namespace then name, each delegating route replaced by its delegate's routes
    /// (none when the delegate is missing). Within one VirtualService, routes after one that
    /// matches every request are unreachable and left out, as Istio does.
    /// </summary>
    public static IReadOnlyList<HttpRouteSpec> HttpRoutes(string host, IReadOnlyList<VirtualServiceSpec> bound)
    {
        ArgumentNullException.ThrowIfNull(bound);
        var delegates = bound.Where(v => v.IsDelegate).ToDictionary(v => (v.Namespace, v.Name));
        var routes = new List<HttpRouteSpec>();
        foreach (var virtualService in bound
            .Where(v => v.AppliesToMesh && v.Hosts.Contains(host, StringComparer.Ordinal))
            .OrderBy(v => v.Namespace, StringComparer.Ordinal)
            .ThenBy(v => v.Name, StringComparer.Ordinal))
        {
            routes.AddRange(HttpRoutes(virtualService, delegates));
        }

        return routes;
    }

    /// <summary>
    /// The HTTP routes of one VirtualService, in order, each delegating route replaced by its
    /// delegate's routes (none when the delegate is missing); routes after one that matches
    /// every request are unreachable and left out, as Istio does.
    /// </summary>
    public static IReadOnlyList<HttpRouteSpec> HttpRoutes(
        VirtualServiceSpec virtualService,
        IReadOnlyDictionary<(string Namespace, string Name), VirtualServiceSpec> delegates)
    {
        ArgumentNullException.ThrowIfNull(virtualService);
        ArgumentNullException.ThrowIfNull(delegates);
        var routes = new List<HttpRouteSpec>();
        foreach (var http in virtualService.Http)
        {
            IReadOnlyList<HttpRouteSpec> expanded = http.Delegate is { } target
                ? delegates.TryGetValue((target.Namespace, target.Name), out var found) ? VirtualServiceDelegates.Merge(http, found.Http) : []
                : [http];
            routes.AddRange(expanded);
            if (http.Delegate is null && http.Match.Count == 0)
            {
                break;
            }
        }

        return routes;
    }

    /// <summary>
    /// The Envoy routes a gateway gets from one HTTP route of a VirtualService bound to it, on a
    /// server <paramref name="port"/>, as Istio builds them for <paramref name="gateway"/>
    /// (<c>namespace/name</c>): a match applies when its port is unset or this one, when the
    /// gateways it names (if any) include this gateway, and when its source labels (if any) are
    /// all the gateway workload's <paramref name="labels"/>; a match on a source namespace is
    /// left out (the gateway's scope is not per namespace).
    /// </summary>
    public static IReadOnlyList<Route> GatewayRoutes(
        VirtualServiceSpec virtualService,
        HttpRouteSpec http,
        int port,
        string gateway,
        IReadOnlyDictionary<string, string> labels,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts)
    {
        ArgumentNullException.ThrowIfNull(virtualService);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(labels);
        var holder = new VirtualHost();
        AddRoutes(holder, http, port, destinationPorts, RouteFlavor.Sidecar, m =>
            (m.Port is null || m.Port == port)
            && (m.Gateways is not { Count: > 0 } || GatewayBinding.Resolve(virtualService, m.Gateways).Contains(gateway, StringComparer.Ordinal))
            && (m.SourceLabels ?? new Dictionary<string, string>()).All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value)
            && m.SourceNamespace is null);
        return holder.Routes.ToList();
    }

    /// <summary>
    /// The domains Istio puts on a service's virtual host: the FQDN and its shorter forms
    /// (<c>name.ns.svc</c>, <c>name.ns</c>, <c>name</c>), each bare and with the port.
    /// </summary>
    public static IReadOnlyList<string> Domains(string host, int port)
    {
        var names = new List<string> { host };
        var suffix = ".svc." + MeshNames.DomainSuffix;
        if (host.EndsWith(suffix, StringComparison.Ordinal))
        {
            var nameAndNamespace = host[..^suffix.Length];
            names.Add(nameAndNamespace + ".svc");
            names.Add(nameAndNamespace);
            var dot = nameAndNamespace.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0)
            {
                names.Add(nameAndNamespace[..dot]);
            }
        }

        var domains = new List<string>(names.Count * 2);
        foreach (var n in names)
        {
            domains.Add(n);
            domains.Add(MeshNames.HostPort(n, port));
        }

        return domains;
    }
}
