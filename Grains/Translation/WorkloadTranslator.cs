using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Listener.HttpInspector.V3;
using Envoy.Extensions.Filters.Listener.OriginalDst.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// A workload's own resources, in Istio's shapes (<c>pilot/pkg/networking/core</c>, inbound
/// listener and cluster builders): for a sidecar, the <c>virtualInbound</c> listener on 15006
/// with one filter chain per port the workload serves (matched by destination port; an HTTP
/// connection manager for HTTP ports, a TCP proxy for TCP ones, both, told apart by sniffing,
/// for a port whose protocol is not declared), each leading to the cluster
/// <c>inbound|&lt;port&gt;||</c> (static, to the port on the workload's loopback), and a catch-all
/// chain to <c>InboundPassthroughCluster</c>. Pure: equal inputs give equal bytes.
/// </summary>
public static class WorkloadTranslator
{
    /// <summary>The HTTP inspector listener filter (sniffs HTTP on ports of undeclared protocol).</summary>
    public const string HttpInspectorName = "envoy.filters.listener.http_inspector";

    /// <summary>The address inbound clusters send to: the workload, beside its sidecar.</summary>
    public const string WorkloadAddress = "127.0.0.1";

    /// <summary>The inbound cluster of <paramref name="port"/>: <c>inbound|&lt;port&gt;||</c>.</summary>
    public static string InboundCluster(int port) => $"inbound|{port}||";

    /// <summary>
    /// The templates of the Listener names an xDS-enabled gRPC server asks for, <c>%s</c> being the
    /// address it binds: gRPC's own example (<c>grpc/server?xds.resource.listening_address=%s</c>)
    /// and Istio's proxyless bootstrap (<c>xds.istio.io/grpc/lds/inbound/%s</c>).
    /// </summary>
    public static IReadOnlyList<string> ServerListenerTemplates { get; } =
    [
        "grpc/server?xds.resource.listening_address={0}",
        "xds.istio.io/grpc/lds/inbound/{0}",
    ];

    /// <summary>
    /// The resources of a workload of <paramref name="kind"/> at <paramref name="ip"/> that serves
    /// <paramref name="inputs"/>: a sidecar's inbound side, or a proxyless gRPC server's listeners.
    /// </summary>
    public static IReadOnlyList<XdsResource> Build(ProxyKind kind, string ip, WorkloadInputs inputs, string trustDomain = Interfaces.Security.SpiffeId.DefaultTrustDomain)
    {
        ArgumentNullException.ThrowIfNull(ip);
        ArgumentNullException.ThrowIfNull(inputs);
        if (kind == ProxyKind.Proxyless)
        {
            var listeners = ServerListeners(ip, inputs, trustDomain);
            return inputs.SidecarScope is { } proxylessScope ? [.. listeners, ScopeAssignment(ScopeNames.ForKind(proxylessScope, kind))] : listeners;
        }

        if (kind != ProxyKind.Sidecar)
        {
            // A gateway's own resources come from the Gateways that select it.
            return [];
        }

        var ports = inputs.Ports.Where(p => p.Protocol != MeshProtocol.Udp).ToList();
        var resources = new List<XdsResource>(ports.Count + 1)
        {
            SidecarTranslator.Pack(TypeUrls.Listener, SidecarTranslator.VirtualInbound, VirtualInbound(ports, inputs.PassthroughMtls, trustDomain, inputs.AuthorizationPolicies)),
        };
        foreach (var port in ports)
        {
            var name = InboundCluster(port.Port);
            resources.Add(SidecarTranslator.Pack(TypeUrls.Cluster, name, InboundClusterOf(port.Port, port.Endpoint, ip)));
        }

        if (inputs.SidecarScope is { } scope)
        {
            resources.Add(ScopeAssignment(scope));
        }

        return resources;
    }

    /// <summary>
    /// The internal resource that tells a frontend which sidecar scope the proxies of this
    /// workload belong in (<see cref="TypeUrls.ScopeAssignment"/>, named
    /// <see cref="TypeUrls.ScopeAssignmentName"/>; its payload the scope's name in UTF-8). Never sent to a
    /// proxy: it is of no xDS type.
    /// </summary>
    public static XdsResource ScopeAssignment(string scope)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        var payload = System.Text.Encoding.UTF8.GetBytes(scope);
        return new XdsResource(TypeUrls.ScopeAssignment, TypeUrls.ScopeAssignmentName, ResourceVersion.Of(payload), payload, ResourceAudience.Sidecar);
    }

    /// <summary>
    /// The Listeners an xDS-enabled gRPC server (gRFC A36) is served for each port of its workload,
    /// bound to the workload's IP or to every address, under each name template: the listening
    /// address, and one filter chain whose inline routes accept every call
    /// (<c>non_forwarding_action</c>, which a server's routes must use) ending in the router filter.
    /// </summary>
    public static IReadOnlyList<XdsResource> ServerListeners(string ip, WorkloadInputs inputs, string trustDomain = Interfaces.Security.SpiffeId.DefaultTrustDomain)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var rbac = AuthorizationTranslator.ProxylessFilters(inputs.AuthorizationPolicies ?? [], trustDomain);
        var resources = new List<XdsResource>();
        foreach (var port in inputs.Ports.Where(p => p.Protocol != MeshProtocol.Udp))
        {
            foreach (var address in new[] { ip, SidecarTranslator.AnyAddress }.Distinct(StringComparer.Ordinal))
            {
                var listening = address.Contains(':', StringComparison.Ordinal) ? $"[{address}]:{port.Port}" : $"{address}:{port.Port}";
                foreach (var template in ServerListenerTemplates)
                {
                    var name = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, listening);
                    var payload = ServerListener(name, address, port.Port, port.Mtls, rbac).ToByteArray();
                    resources.Add(new XdsResource(TypeUrls.Listener, name, ResourceVersion.Of(payload), payload, ResourceAudience.Proxyless));
                }
            }
        }

        return resources;
    }

    /// <summary>
    /// One gRPC server Listener named <paramref name="name"/> for <paramref name="address"/>:<paramref name="port"/>:
    /// mutual TLS from its bootstrap's certificate provider when <paramref name="mtls"/> is STRICT, or
    /// PERMISSIVE (a gRPC server cannot take both, so, as Istio's grpcgen, a pod in the mesh
    /// takes mutual TLS only), else plaintext.
    /// </summary>
    public static Listener ServerListener(string name, string address, int port, MtlsMode mtls = MtlsMode.Disable, IReadOnlyList<HttpFilter>? authorization = null)
    {
        var route = new Route
        {
            Match = new RouteMatch { Prefix = "/" },
            NonForwardingAction = new NonForwardingAction(),
        };
        var host = new VirtualHost { Name = InboundCluster(port) };
        host.Domains.Add("*");
        host.Routes.Add(route);
        var routes = new RouteConfiguration { Name = InboundCluster(port) };
        routes.VirtualHosts.Add(host);
        var manager = new HttpConnectionManager
        {
            StatPrefix = $"inbound_{address}_{port}",
            RouteConfig = routes,
        };
        manager.HttpFilters.AddRange(authorization ?? []);
        manager.HttpFilters.Add(new HttpFilter { Name = ListenerTranslator.RouterFilterName, TypedConfig = Any.Pack(new Router()) });
        // No filter_chain_match: grpc-js matches a chain whose match is present only when it names
        // transport_protocol raw_buffer, and an absent one means "every connection" to every client.
        var chain = new FilterChain { Name = InboundCluster(port) };
        chain.Filters.Add(new Filter { Name = SidecarTranslator.HttpConnectionManagerName, TypedConfig = Any.Pack(manager) });
        if (mtls is MtlsMode.Strict or MtlsMode.Permissive)
        {
            chain.TransportSocket = MtlsTranslator.ProxylessDownstream();
        }

        var listener = new Listener
        {
            Name = name,
            Address = SidecarTranslator.SocketAddressOf(address, port),
            TrafficDirection = TrafficDirection.Inbound,
        };
        listener.FilterChains.Add(chain);
        return listener;
    }

    /// <summary>
    /// The <c>virtualInbound</c> listener for <paramref name="ports"/>, with the filter chains of
    /// each port's mutual TLS mode as Istio's inbound listener builder makes them
    /// (<c>filterchain_options.go</c>): for a port in DISABLE plaintext chains; in STRICT chains
    /// that match TLS only and terminate it (plaintext matches no chain and is refused); in
    /// PERMISSIVE both, the TLS ones told apart by the ALPN Istio's clients send. Traffic to a port
    /// no Service declares goes through to the workload in <paramref name="passthroughMtls"/>.
    /// </summary>
    public static Listener VirtualInbound(IReadOnlyList<WorkloadPort> ports, MtlsMode passthroughMtls = MtlsMode.Disable, string trustDomain = Interfaces.Security.SpiffeId.DefaultTrustDomain, IReadOnlyList<AuthorizationPolicySpec>? policies = null)
    {
        ArgumentNullException.ThrowIfNull(ports);

        // The workload's AuthorizationPolicies, the same on every inbound chain (ports told apart by destination_port).
        var httpRbac = AuthorizationTranslator.HttpFilters(policies ?? [], trustDomain);
        var tcpRbac = AuthorizationTranslator.NetworkFilters(policies ?? [], trustDomain);
        var listener = new Listener
        {
            Name = SidecarTranslator.VirtualInbound,
            Address = SidecarTranslator.SocketAddressOf(SidecarTranslator.AnyAddress, SidecarTranslator.InboundPort),
            TrafficDirection = TrafficDirection.Inbound,
        };
        listener.ListenerFilters.Add(new ListenerFilter { Name = SidecarTranslator.OriginalDstName, TypedConfig = Any.Pack(new OriginalDst()) });
        var tls = MtlsTranslator.InboundTls(trustDomain);
        foreach (var port in ports)
        {
            var cluster = InboundCluster(port.Port);
            var chainName = SidecarTranslator.HttpListenerName(port.Port);
            FilterChain Http() => new()
            {
                Name = chainName,
                FilterChainMatch = new FilterChainMatch { DestinationPort = (uint)port.Port },
                Filters = { new Filter { Name = SidecarTranslator.HttpConnectionManagerName, TypedConfig = Any.Pack(InboundManager(port.Port, cluster, httpRbac)) } },
            };
            FilterChain Tcp() => new()
            {
                Name = port.Protocol == MeshProtocol.Unknown ? $"{chainName}-tcp" : chainName,
                FilterChainMatch = new FilterChainMatch { DestinationPort = (uint)port.Port },
                Filters = { tcpRbac, SidecarTranslator.TcpProxyFilter(cluster, cluster) },
            };

            foreach (var chain in Chains(port.Protocol, port.Mtls, Http, Tcp, tls))
            {
                listener.FilterChains.Add(chain);
            }
        }

        // Traffic to a port no Service declares still reaches the workload, as Istio lets it.
        FilterChain Passthrough() => new()
        {
            Name = "virtualInbound-catchall-tcp",
            FilterChainMatch = new FilterChainMatch { PrefixRanges = { new CidrRange { AddressPrefix = "0.0.0.0", PrefixLen = 0 } } },
            Filters = { tcpRbac, SidecarTranslator.TcpProxyFilter(SidecarTranslator.InboundPassthroughCluster, SidecarTranslator.InboundPassthroughCluster) },
        };
        foreach (var chain in Chains(MeshProtocol.Tcp, passthroughMtls, Passthrough, Passthrough, tls))
        {
            listener.FilterChains.Add(chain);
        }

        // The inspectors that tell the chains apart: TLS (and its ALPN), then plaintext HTTP.
        if (listener.FilterChains.Any(c => c.FilterChainMatch?.TransportProtocol == MtlsTranslator.TlsTransportProtocol))
        {
            listener.ListenerFilters.Add(new ListenerFilter { Name = L4RouteTranslator.TlsInspectorName, TypedConfig = Any.Pack(new Envoy.Extensions.Filters.Listener.TlsInspector.V3.TlsInspector()) });
        }

        if (listener.FilterChains.Any(c => c.FilterChainMatch?.ApplicationProtocols.Contains("h2c") == true))
        {
            listener.ListenerFilters.Add(new ListenerFilter { Name = HttpInspectorName, TypedConfig = Any.Pack(new HttpInspector()) });
        }

        return listener;
    }

    /// <summary>
    /// One port's chains for its protocol (HTTP, TCP or undeclared, sniffed) and mutual TLS mode,
    /// per Istio's table (<c>getFilterChainMatchOptions</c>): each an HTTP connection manager
    /// (<paramref name="http"/>) or a TCP proxy (<paramref name="tcp"/>) chain, matching a
    /// transport protocol and ALPN, terminating mutual TLS with <paramref name="tls"/> or not.
    /// </summary>
    private static IEnumerable<FilterChain> Chains(MeshProtocol protocol, MtlsMode mode, Func<FilterChain> http, Func<FilterChain> tcp, TransportSocket tls)
    {
        var kind = protocol.IsHttp() ? 'h' : protocol == MeshProtocol.Unknown ? 'a' : 't';
        FilterChain Make(Func<FilterChain> make, string? transport, IReadOnlyList<string> alpns, bool terminate)
        {
            var chain = make();
            if (transport is not null)
            {
                chain.FilterChainMatch.TransportProtocol = transport;
            }

            chain.FilterChainMatch.ApplicationProtocols.AddRange(alpns);
            if (terminate)
            {
                chain.TransportSocket = tls;
            }

            return chain;
        }

        const string Tls = MtlsTranslator.TlsTransportProtocol;
        const string Raw = SidecarTranslator.RawBufferTransportProtocol;
        switch (mode, kind)
        {
            case (MtlsMode.Strict, 'h'):
                yield return Make(http, Tls, [], terminate: true);
                break;
            case (MtlsMode.Strict, 't'):
                yield return Make(tcp, Tls, [], terminate: true);
                break;
            case (MtlsMode.Strict, _):
                yield return Make(http, Tls, MtlsTranslator.MtlsHttpAlpns, terminate: true);
                yield return Make(tcp, Tls, [], terminate: true);
                break;
            case (MtlsMode.Permissive, 'h'):
                yield return Make(http, Tls, MtlsTranslator.AllIstioMtlsAlpns, terminate: true);
                yield return Make(http, Raw, [], terminate: false);
                break;
            case (MtlsMode.Permissive, 't'):
                yield return Make(tcp, Tls, MtlsTranslator.AllIstioMtlsAlpns, terminate: true);
                yield return Make(tcp, Tls, [], terminate: false);
                yield return Make(tcp, Raw, [], terminate: false);
                break;
            case (MtlsMode.Permissive, _):
                yield return Make(http, Tls, MtlsTranslator.MtlsHttpAlpns, terminate: true);
                yield return Make(http, Raw, SidecarTranslator.PlaintextHttpAlpns, terminate: false);
                yield return Make(tcp, Tls, MtlsTranslator.MtlsTcpAlpns, terminate: true);
                yield return Make(tcp, Raw, [], terminate: false);
                yield return Make(tcp, Tls, [], terminate: false);
                break;

            // DISABLE: plaintext, as before mutual TLS (a sniffed port's HTTP told apart by ALPN).
            case (_, 'h'):
                yield return http();
                break;
            case (_, 't'):
                yield return tcp();
                break;
            default:
                yield return Make(http, null, SidecarTranslator.PlaintextHttpAlpns, terminate: false);
                yield return tcp();
                break;
        }
    }

    /// <summary>
    /// The static cluster <c>inbound|&lt;port&gt;||</c>: the workload's port on its loopback, or
    /// where a Sidecar ingress listener's <paramref name="endpoint"/> says, as Istio reads it:
    /// <c>127.0.0.1:PORT</c> and <c>[::1]:PORT</c> the loopback, <c>0.0.0.0:PORT</c>,
    /// <c>[::]:PORT</c> and <c>:PORT</c> the workload's own address (<paramref name="ip"/>),
    /// <c>unix://</c> a socket.
    /// </summary>
    public static Cluster InboundClusterOf(int port, string? endpoint = null, string? ip = null)
    {
        var name = InboundCluster(port);
        var endpoints = new LocalityLbEndpoints();
        endpoints.LbEndpoints.Add(new LbEndpoint
        {
            Endpoint = new Envoy.Config.Endpoint.V3.Endpoint { Address = InboundAddress(port, endpoint, ip) },
        });
        var assignment = new ClusterLoadAssignment { ClusterName = name };
        assignment.Endpoints.Add(endpoints);
        return new Cluster
        {
            Name = name,
            Type = Cluster.Types.DiscoveryType.Static,
            ConnectTimeout = Duration.FromTimeSpan(ClusterTranslator.ConnectTimeout),
            LbPolicy = Cluster.Types.LbPolicy.RoundRobin,
            LoadAssignment = assignment,
        };
    }

    private static Address InboundAddress(int port, string? endpoint, string? ip)
    {
        if (endpoint is null)
        {
            return SidecarTranslator.SocketAddressOf(WorkloadAddress, port);
        }

        if (endpoint.StartsWith("unix://", StringComparison.Ordinal))
        {
            return new Address { Pipe = new Pipe { Path = endpoint["unix://".Length..] } };
        }

        var colon = endpoint.LastIndexOf(':');
        var host = endpoint[..colon].Trim('[', ']');
        var target = int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var address = host switch
        {
            "" or "0.0.0.0" or "::" => ip ?? WorkloadAddress,
            _ => host,
        };
        return SidecarTranslator.SocketAddressOf(address, target);
    }

    private static HttpConnectionManager InboundManager(int port, string cluster, IReadOnlyList<HttpFilter> authorization)
    {
        var route = new Route
        {
            Name = "default",
            Match = new RouteMatch { Prefix = "/" },
            Route_ = new RouteAction { Cluster = cluster, Timeout = Duration.FromTimeSpan(TimeSpan.Zero) },
        };
        var host = new VirtualHost { Name = $"inbound|http|{port}" };
        host.Domains.Add("*");
        host.Routes.Add(route);
        var routes = new RouteConfiguration { Name = cluster, ValidateClusters = false };
        routes.VirtualHosts.Add(host);
        var manager = new HttpConnectionManager
        {
            StatPrefix = $"inbound_{SidecarTranslator.HttpListenerName(port)}",
            RouteConfig = routes,
            UseRemoteAddress = false,
        };
        manager.HttpFilters.AddRange(authorization);
        manager.HttpFilters.Add(new HttpFilter { Name = ListenerTranslator.RouterFilterName, TypedConfig = Any.Pack(new Router()) });
        return manager;
    }
}
