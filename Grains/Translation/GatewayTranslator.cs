using System.Globalization;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Listener.TlsInspector.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// A gateway's listeners and routes, from the Gateways that select it and the VirtualServices
/// bound to them, in Istio's shapes and names (<c>pilot/pkg/networking/core/gateway.go</c>,
/// <c>pilot/pkg/model/gateway.go</c>):
/// <list type="bullet">
/// <item>The servers of every selected Gateway merge by port (Gateways in namespace then name order,
/// servers in order). One listener per port, <c>&lt;bind&gt;_&lt;port&gt;</c> (bind <c>0.0.0.0</c> unless the
/// server names one), bound for real. On one port, plain HTTP servers (HTTP, HTTP2, GRPC,
/// GRPC-WEB) merge into one HTTP connection manager whose routes come over RDS as
/// <c>http.&lt;port&gt;</c>; TLS passthrough servers (TLS, or HTTPS with a PASSTHROUGH mode) merge into
/// SNI filter chains; one opaque TCP server takes the port. A server whose kind conflicts with
/// the port's first is left out, as Istio does.</item>
/// <item><c>http.&lt;port&gt;</c> has one virtual host per host where a server's hosts (those open to the
/// VirtualService's namespace) and a bound VirtualService's hosts meet, named
/// <c>&lt;host&gt;:&lt;port&gt;</c> with that host as its one domain; its routes are the routes of every
/// VirtualService meeting there (catch-all routes moved last), <c>require_tls: ALL</c> when the
/// server redirects to HTTPS. Virtual hosts with the same routes collapse into the first by name.
/// With no virtual host, one <c>blackhole:&lt;port&gt;</c> answers every host with 404.
/// <c>ignore_port_in_host_matching</c> is set, <c>validate_clusters</c> is false.</item>
/// </list>
/// </summary>
public static class GatewayTranslator
{
    private static readonly HashSet<string> s_httpProtocols = new(["HTTP", "HTTP2", "GRPC", "GRPC-WEB"], StringComparer.Ordinal);

    private enum PortKind
    {
        Http,
        Tls,
        Tcp,
        Unsupported,
    }

    /// <summary>The route configuration name of a plain HTTP port: <c>http.&lt;port&gt;</c>, with <c>.&lt;bind&gt;</c> when the server binds an address.</summary>
    public static string RouteName(int port, string? bind) =>
        "http." + port.ToString(CultureInfo.InvariantCulture) + (string.IsNullOrEmpty(bind) ? string.Empty : "." + bind);

    /// <summary>
    /// The route configuration name of an HTTPS server that terminates TLS (Istio's
    /// <c>gatewayRDSRouteName</c>): <c>https.&lt;port&gt;.&lt;port name&gt;.&lt;gateway&gt;.&lt;namespace&gt;</c>,
    /// with <c>.&lt;bind&gt;</c> when the server binds an address. Each such server has its own.
    /// </summary>
    public static string HttpsRouteName(GatewayServerSpec server, string gatewayNamespace, string gatewayName)
    {
        ArgumentNullException.ThrowIfNull(server);
        return $"https.{server.PortNumber.ToString(CultureInfo.InvariantCulture)}.{server.PortName}.{gatewayName}.{gatewayNamespace}"
            + (string.IsNullOrEmpty(server.Bind) ? string.Empty : "." + server.Bind);
    }

    /// <summary>The listener name of a port: <c>&lt;bind&gt;_&lt;port&gt;</c>.</summary>
    public static string ListenerName(int port, string? bind) =>
        $"{(string.IsNullOrEmpty(bind) ? SidecarTranslator.AnyAddress : bind)}_{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// The listeners and route configurations of the gateway workloads with <paramref name="labels"/>
    /// that <paramref name="inputs"/> configure; none when no Gateway selects them.
    /// </summary>
    public static IReadOnlyList<XdsResource> Build(GatewayInputs inputs, IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        var resources = new List<XdsResource>();
        foreach (var port in MergeServers(inputs.Gateways))
        {
            switch (port.Kind)
            {
                case PortKind.Http:
                    var routeName = RouteName(port.Number, port.Bind);
                    resources.Add(Pack(TypeUrls.Listener, port.ListenerName, HttpListener(port, routeName)));
                    resources.Add(Pack(TypeUrls.RouteConfiguration, routeName, RouteConfiguration(routeName, port, inputs, labels)));
                    break;
                case PortKind.Tls:
                    if (TlsListener(port, inputs, labels, resources) is { } tlsListener)
                    {
                        resources.Add(Pack(TypeUrls.Listener, port.ListenerName, tlsListener));
                    }

                    break;
                case PortKind.Tcp:
                    if (L4Listener(port, inputs) is { } listener)
                    {
                        resources.Add(Pack(TypeUrls.Listener, port.ListenerName, listener));
                    }

                    break;
            }
        }

        return resources;
    }

    /// <summary>The servers of <paramref name="gateways"/> grouped by listener, each group of one kind.</summary>
    private static List<MergedPort> MergeServers(IReadOnlyList<GatewaySpec> gateways)
    {
        var ports = new List<MergedPort>();
        var byName = new Dictionary<string, MergedPort>(StringComparer.Ordinal);
        foreach (var gateway in gateways)
        {
            foreach (var server in gateway.Servers)
            {
                // A Unix domain socket has no port to listen on here; AUTO_PASSTHROUGH needs SNI-DNAT clusters this mesh does not build.
                var kind = KindOf(server);
                if (server.PortNumber == 0 || kind == PortKind.Unsupported)
                {
                    continue;
                }

                var name = ListenerName(server.PortNumber, server.Bind);
                if (!byName.TryGetValue(name, out var port))
                {
                    byName[name] = port = new MergedPort(name, server.PortNumber, server.Bind, kind);
                    ports.Add(port);
                }
                else if (port.Kind != kind || kind == PortKind.Tcp)
                {
                    // Istio keeps the first server of a port when a later one's protocol conflicts,
                    // and one opaque TCP server a port.
                    continue;
                }

                port.Servers.Add((GatewayBinding.NameOf(gateway), server));
            }
        }

        return ports;
    }

    private static PortKind KindOf(GatewayServerSpec server)
    {
        if (s_httpProtocols.Contains(server.Protocol))
        {
            return PortKind.Http;
        }

        if (server.Protocol is "HTTPS" or "TLS")
        {
            return server.Tls is { Mode: "PASSTHROUGH" } or { Terminates: true } ? PortKind.Tls : PortKind.Unsupported;
        }

        return PortKind.Tcp;
    }

    private static Listener HttpListener(MergedPort port, string routeName)
    {
        var chain = new FilterChain();
        chain.Filters.Add(HttpManager($"outbound_{port.ListenerName}", routeName));
        var listener = NewListener(port);
        listener.FilterChains.Add(chain);
        return listener;
    }

    private static Filter HttpManager(string statPrefix, string routeName)
    {
        var manager = new HttpConnectionManager
        {
            StatPrefix = statPrefix,
            Rds = new Rds { ConfigSource = ClusterTranslator.AdsConfigSource(), RouteConfigName = routeName },

            // A gateway is the edge: the client's address is the connection's.
            UseRemoteAddress = true,
        };
        manager.HttpFilters.AddRange(SidecarTranslator.HttpFilters());
        return new Filter { Name = SidecarTranslator.HttpConnectionManagerName, TypedConfig = Any.Pack(manager) };
    }

    private static Listener NewListener(MergedPort port) => new()
    {
        Name = port.ListenerName,
        Address = SidecarTranslator.SocketAddressOf(string.IsNullOrEmpty(port.Bind) ? SidecarTranslator.AnyAddress : port.Bind, port.Number),
        TrafficDirection = Envoy.Config.Core.V3.TrafficDirection.Outbound,
    };

    private static RouteConfiguration RouteConfiguration(string routeName, MergedPort port, GatewayInputs inputs, IReadOnlyDictionary<string, string> labels) =>
        RouteConfiguration(routeName, port.Number, port.Servers, inputs, labels);

    private static RouteConfiguration RouteConfiguration(
        string routeName, int portNumber, IEnumerable<(string Gateway, GatewayServerSpec Server)> servers, GatewayInputs inputs, IReadOnlyDictionary<string, string> labels)
    {
        var delegates = inputs.VirtualServices.Where(v => v.IsDelegate).ToDictionary(v => (v.Namespace, v.Name));
        var hosts = new Dictionary<string, VirtualHost>(StringComparer.Ordinal);
        foreach (var (gateway, server) in servers)
        {
            var redirect = server.Tls?.HttpsRedirect == true;
            foreach (var virtualService in BoundTo(inputs, gateway))
            {
                var meeting = Intersect(server, virtualService);
                if (meeting.Count == 0)
                {
                    continue;
                }

                var routes = RouteTranslator.HttpRoutes(virtualService, delegates)
                    .SelectMany(http => RouteTranslator.GatewayRoutes(virtualService, http, portNumber, gateway, labels, inputs.DestinationPorts))
                    .ToList();
                foreach (var host in meeting)
                {
                    var virtualHost = HostOf(hosts, host, portNumber);
                    virtualHost.Routes.AddRange(routes.Select(r => r.Clone()));
                    if (redirect)
                    {
                        virtualHost.RequireTls = VirtualHost.Types.TlsRequirementType.All;
                    }
                }
            }

            // A redirecting server's hosts redirect even with no VirtualService bound to them.
            foreach (var host in redirect ? server.Hosts.Select(h => h.Host) : [])
            {
                HostOf(hosts, host, portNumber).RequireTls = VirtualHost.Types.TlsRequirementType.All;
            }
        }

        var configuration = new RouteConfiguration
        {
            Name = routeName,
            ValidateClusters = false,
            IgnorePortInHostMatching = true,
        };
        if (hosts.Count == 0)
        {
            // Istio's default: every request on the port answered 404 (no route).
            var blackhole = new VirtualHost { Name = MeshNames.HostPort("blackhole", portNumber) };
            blackhole.Domains.Add("*");
            configuration.VirtualHosts.Add(blackhole);
            return configuration;
        }

        configuration.VirtualHosts.AddRange(Collapse(hosts).OrderBy(h => h.Name, StringComparer.Ordinal));
        return configuration;
    }

    private static VirtualHost HostOf(Dictionary<string, VirtualHost> hosts, string host, int port)
    {
        if (!hosts.TryGetValue(host, out var virtualHost))
        {
            // Istio's default proxy headers count request attempts (x-envoy-attempt-count).
            virtualHost = new VirtualHost { Name = MeshNames.HostPort(host, port), IncludeRequestAttemptCount = true };
            virtualHost.Domains.Add(host);
            hosts[host] = virtualHost;
        }

        return virtualHost;
    }

    /// <summary>
    /// Each virtual host's routes with catch-all routes last (as Istio sorts a gateway's virtual
    /// hosts' routes), then virtual hosts whose routes and TLS requirement are equal merged into the
    /// first by host name, their domains added to it.
    /// </summary>
    private static List<VirtualHost> Collapse(Dictionary<string, VirtualHost> hosts)
    {
        var kept = new List<(VirtualHost Host, ByteString Routes)>();
        foreach (var (_, host) in hosts.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            var ordered = host.Routes.Where(r => !IsCatchAll(r)).Concat(host.Routes.Where(IsCatchAll)).ToList();
            host.Routes.Clear();
            host.Routes.AddRange(ordered);
            var routes = new VirtualHost { Routes = { ordered }, RequireTls = host.RequireTls }.ToByteString();
            var same = kept.FindIndex(k => k.Routes.Equals(routes));
            if (same >= 0)
            {
                kept[same].Host.Domains.AddRange(host.Domains);
                continue;
            }

            kept.Add((host, routes));
        }

        return kept.Select(k => k.Host).ToList();
    }

    /// <summary>Istio's catch-all route: prefix <c>/</c> (or regex <c>.*</c>) with no header or query parameter condition.</summary>
    private static bool IsCatchAll(Route route) =>
        (route.Match.PathSpecifierCase == RouteMatch.PathSpecifierOneofCase.Prefix && route.Match.Prefix == "/"
            || route.Match.PathSpecifierCase == RouteMatch.PathSpecifierOneofCase.SafeRegex && route.Match.SafeRegex.Regex == ".*")
        && route.Match.Headers.Count == 0 && route.Match.QueryParameters.Count == 0;

    private static IEnumerable<VirtualServiceSpec> BoundTo(GatewayInputs inputs, string gateway) =>
        inputs.VirtualServices.Where(v => !v.IsDelegate && GatewayBinding.Resolve(v, v.Gateways ?? []).Contains(gateway, StringComparer.Ordinal));

    /// <summary>
    /// Where a server's hosts open to the VirtualService's namespace and the VirtualService's
    /// hosts meet, as Istio intersects them: for each pair where one matches the other (equal,
    /// or a wildcard covering the other), the more specific of the two; in lower case.
    /// </summary>
    public static IReadOnlyList<string> Intersect(GatewayServerSpec server, VirtualServiceSpec virtualService)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(virtualService);
        var meeting = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var serverHost in server.Hosts.Where(h => h.Namespace is "*" || h.Namespace == virtualService.Namespace).Select(h => h.Host.ToLowerInvariant()))
        {
            foreach (var host in virtualService.Hosts.Select(h => h.ToLowerInvariant()))
            {
                if (serverHost == host || Covers(serverHost, host))
                {
                    meeting.Add(host);
                }
                else if (Covers(host, serverHost))
                {
                    meeting.Add(serverHost);
                }
            }
        }

        return meeting.ToList();
    }

    /// <summary>Whether the wildcard <paramref name="wildcard"/> (<c>*</c>, or <c>*.</c> and a suffix) covers <paramref name="host"/>.</summary>
    private static bool Covers(string wildcard, string host) =>
        wildcard == "*"
        || (wildcard.StartsWith("*.", StringComparison.Ordinal) && host.Length > wildcard.Length - 1 && host.EndsWith(wildcard[1..], StringComparison.Ordinal));

    /// <summary>
    /// The listener of a TLS port (Istio's gateway TLS filter chains): first, one chain per server
    /// that terminates TLS, matching its hosts as SNI (none for <c>*</c>), with its TLS context
    /// (<see cref="MtlsTranslator.GatewayTls"/>) and, for HTTPS, an HTTP connection manager whose
    /// routes come over RDS as <see cref="HttpsRouteName"/> (added to <paramref name="resources"/>),
    /// for TLS, the first TCP route of a bound VirtualService; then the passthrough servers'
    /// chains (<see cref="L4Listener"/>). A server with a host an earlier server on the port took
    /// is left out, and a passthrough SNI host a terminating server took, as Istio's
    /// <c>CheckDuplicates</c> leaves them out (Envoy refuses two chains with the same match).
    /// </summary>
    private static Listener? TlsListener(MergedPort port, GatewayInputs inputs, IReadOnlyDictionary<string, string> labels, List<XdsResource> resources)
    {
        var listener = NewListener(port);
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (gateway, server) in port.Servers.Where(s => s.Server.Tls!.Terminates))
        {
            var sniHosts = server.Hosts.Select(h => h.Host).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (sniHosts.Any(claimed.Contains))
            {
                continue;
            }

            claimed.UnionWith(sniHosts);
            var http = server.Protocol == "HTTPS";
            var chain = new FilterChain { TransportSocket = MtlsTranslator.GatewayTls(server.Tls!, http) };
            if (!sniHosts.Contains("*"))
            {
                chain.FilterChainMatch = new FilterChainMatch();
                chain.FilterChainMatch.ServerNames.AddRange(sniHosts);
            }

            if (http)
            {
                var slash = gateway.IndexOf('/', StringComparison.Ordinal);
                var routeName = HttpsRouteName(server, gateway[..slash], gateway[(slash + 1)..]);
                chain.Filters.Add(HttpManager(string.IsNullOrEmpty(server.Name) ? $"outbound_{port.ListenerName}" : server.Name, routeName));
                resources.Add(Pack(TypeUrls.RouteConfiguration, routeName, RouteConfiguration(routeName, port.Number, [(gateway, server)], inputs, labels)));
            }
            else if (TcpRoute(port, gateway, server, inputs) is { } proxy)
            {
                chain.Filters.Add(proxy);
            }
            else
            {
                // Istio: "listener missed network filter"; no chain.
                continue;
            }

            listener.FilterChains.Add(chain);
        }

        if (L4Listener(port, inputs, claimed) is { } passthrough)
        {
            listener.FilterChains.AddRange(passthrough.FilterChains);
        }

        if (listener.FilterChains.Count == 0)
        {
            return null;
        }

        listener.ListenerFilters.Add(new ListenerFilter { Name = L4RouteTranslator.TlsInspectorName, TypedConfig = Any.Pack(new TlsInspector()) });
        return listener;
    }

    /// <summary>The TCP proxy of the first TCP route of a VirtualService bound to <paramref name="gateway"/> whose hosts meet the server's and whose match applies.</summary>
    private static Filter? TcpRoute(MergedPort port, string gateway, GatewayServerSpec server, GatewayInputs inputs)
    {
        foreach (var virtualService in BoundTo(inputs, gateway).Where(v => Intersect(server, v).Count > 0))
        {
            var tcp = (virtualService.Tcp ?? []).FirstOrDefault(t => t.Route.Count > 0
                && (t.Match.Count == 0 || t.Match.Any(m => L4Applies(virtualService, m.Port, m.Gateways, port.Number, gateway))));
            if (tcp is not null)
            {
                return L4RouteTranslator.TcpProxy(virtualService, tcp.Route, port.Number, inputs.DestinationPorts);
            }
        }

        return null;
    }

    /// <summary>
    /// The listener of a TCP or TLS passthrough port: for an opaque TCP server, the first TCP route
    /// of a bound VirtualService whose hosts meet the server's and whose match applies; for TLS
    /// passthrough, one filter chain per applying TLS match, on its SNI hosts, behind the TLS
    /// inspector. No listener when nothing routes the port (Istio's has no filter chain either).
    /// </summary>
    private static Listener? L4Listener(MergedPort port, GatewayInputs inputs, HashSet<string>? claimed = null)
    {
        var listener = NewListener(port);
        var seen = claimed is null ? new HashSet<string>(StringComparer.Ordinal) : new HashSet<string>(claimed, StringComparer.Ordinal);
        foreach (var (gateway, server) in port.Servers.Where(s => s.Server.Tls is not { Terminates: true }))
        {
            if (port.Kind == PortKind.Tcp)
            {
                if (TcpRoute(port, gateway, server, inputs) is { } proxy)
                {
                    var chain = new FilterChain();
                    chain.Filters.Add(proxy);
                    listener.FilterChains.Add(chain);
                    return listener;
                }

                continue;
            }

            foreach (var virtualService in BoundTo(inputs, gateway).Where(v => Intersect(server, v).Count > 0))
            {
                foreach (var tls in (virtualService.Tls ?? []).Where(t => t.Route.Count > 0))
                {
                    foreach (var match in tls.Match.Where(m => L4Applies(virtualService, m.Port, m.Gateways, port.Number, gateway)))
                    {
                        // Envoy refuses two chains with the same match: a later duplicate SNI host is skipped, as Istio does.
                        var sni = match.SniHosts.Where(seen.Add).ToList();
                        if (sni.Count == 0)
                        {
                            continue;
                        }

                        var chain = new FilterChain { FilterChainMatch = new FilterChainMatch() };
                        chain.FilterChainMatch.ServerNames.AddRange(sni);
                        chain.Filters.Add(L4RouteTranslator.TcpProxy(virtualService, tls.Route, port.Number, inputs.DestinationPorts));
                        listener.FilterChains.Add(chain);
                    }
                }
            }
        }

        if (listener.FilterChains.Count == 0)
        {
            return null;
        }

        if (port.Kind == PortKind.Tls)
        {
            listener.ListenerFilters.Add(new ListenerFilter { Name = L4RouteTranslator.TlsInspectorName, TypedConfig = Any.Pack(new TlsInspector()) });
        }

        return listener;
    }

    private static bool L4Applies(VirtualServiceSpec virtualService, int? matchPort, IReadOnlyList<string>? gateways, int port, string gateway) =>
        (matchPort is null || matchPort == port)
        && (gateways is not { Count: > 0 } || GatewayBinding.Resolve(virtualService, gateways).Contains(gateway, StringComparer.Ordinal));

    private static XdsResource Pack(string typeUrl, string name, IMessage message)
    {
        var payload = message.ToByteArray();
        return new XdsResource(typeUrl, name, ResourceVersion.Of(payload), payload, ResourceAudience.Router);
    }

    private sealed record MergedPort(string ListenerName, int Number, string? Bind, PortKind Kind)
    {
        public List<(string Gateway, GatewayServerSpec Server)> Servers { get; } = [];
    }
}
