using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Cors.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// What every Envoy sidecar's outbound side shares, in Istio's shapes and names
/// (<c>pilot/pkg/networking/core</c>, listener and cluster builders): the <c>virtualOutbound</c>
/// listener that catches redirected traffic and hands it to the listener of its original
/// destination, one <c>0.0.0.0_&lt;port&gt;</c> listener per HTTP service port whose routes come
/// over RDS as the RouteConfiguration named by the port, that RouteConfiguration (the virtual
/// hosts of every service on the port, put together from the pieces their ServiceGrains built),
/// and the clusters Istio always has (<c>PassthroughCluster</c>, <c>BlackHoleCluster</c>,
/// <c>InboundPassthroughCluster</c>).
/// </summary>
public static partial class SidecarTranslator
{
    /// <summary>The port iptables redirects a pod's outbound traffic to.</summary>
    public const int OutboundPort = 15001;

    /// <summary>The port iptables redirects a pod's inbound traffic to.</summary>
    public const int InboundPort = 15006;

    /// <summary>The listener that catches outbound traffic.</summary>
    public const string VirtualOutbound = "virtualOutbound";

    /// <summary>The listener that catches inbound traffic.</summary>
    public const string VirtualInbound = "virtualInbound";

    /// <summary>The cluster that forwards to the original destination (outbound traffic to unknown hosts under ALLOW_ANY).</summary>
    public const string PassthroughCluster = "PassthroughCluster";

    /// <summary>The cluster that drops what it is sent (outbound traffic to unknown hosts under REGISTRY_ONLY).</summary>
    public const string BlackHoleCluster = "BlackHoleCluster";

    /// <summary>The cluster that forwards inbound traffic for ports the workload's Services do not declare.</summary>
    public const string InboundPassthroughCluster = "InboundPassthroughCluster";

    /// <summary>The filter names Istio's listeners use.</summary>
    public const string HttpConnectionManagerName = "envoy.filters.network.http_connection_manager";

    /// <summary>The TCP proxy network filter.</summary>
    public const string TcpProxyName = "envoy.filters.network.tcp_proxy";

    /// <summary>The original destination listener filter.</summary>
    public const string OriginalDstName = "envoy.filters.listener.original_dst";

    /// <summary>The transport protocol Envoy gives a connection no TLS inspector found TLS on.</summary>
    public const string RawBufferTransportProtocol = "raw_buffer";

    /// <summary>
    /// The application protocols the HTTP inspector finds for plaintext HTTP that Istio's sniffing
    /// filter chains take (its <c>plaintextHTTPALPNs</c>, without HTTP/1.0, which Istio leaves out
    /// unless its HTTP10 feature is on).
    /// </summary>
    public static IReadOnlyList<string> PlaintextHttpAlpns { get; } = ["http/1.1", "h2c"];

    /// <summary>The address sidecar listeners bind to (or, with <c>bind_to_port: false</c>, pretend to).</summary>
    public const string AnyAddress = "0.0.0.0";

    /// <summary>The name of the outbound HTTP listener of <paramref name="port"/>: <c>0.0.0.0_&lt;port&gt;</c>.</summary>
    public static string HttpListenerName(int port) => $"{AnyAddress}_{port}";

    /// <summary>The name of the outbound TCP listener of a service address and port: <c>&lt;ip&gt;_&lt;port&gt;</c>.</summary>
    public static string TcpListenerName(string address, int port) => $"{address}_{port}";

    /// <summary>The name of the RouteConfiguration of <paramref name="port"/>: the port number.</summary>
    public static string RouteName(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The port of a virtual host piece named <c>host:port</c>, or null when the name carries none.
    /// </summary>
    public static int? PortOfPiece(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var colon = name.LastIndexOf(':');
        return colon > 0 && int.TryParse(name.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) ? port : null;
    }

    /// <summary>
    /// The resources every sidecar has whatever the mesh holds: <c>virtualOutbound</c> and the
    /// three fixed clusters. Under REGISTRY_ONLY traffic to unknown destinations is dropped.
    /// </summary>
    public static IReadOnlyList<XdsResource> Fixed(bool registryOnly)
    {
        var catchAll = registryOnly ? BlackHoleCluster : PassthroughCluster;
        var outbound = new Listener
        {
            Name = VirtualOutbound,
            Address = SocketAddressOf(AnyAddress, OutboundPort),
            UseOriginalDst = true,
            TrafficDirection = TrafficDirection.Outbound,
        };

        // Istio's first chain drops connections whose original destination is the outbound port
        // itself: passed through, they would come straight back to this listener, in a loop.
        var blackhole = new FilterChain { Name = "virtualOutbound-blackhole", FilterChainMatch = new FilterChainMatch { DestinationPort = OutboundPort } };
        blackhole.Filters.Add(TcpProxyFilter(BlackHoleCluster, BlackHoleCluster));
        outbound.FilterChains.Add(blackhole);
        var chain = new FilterChain { Name = "virtualOutbound-catchall-tcp" };
        chain.Filters.Add(TcpProxyFilter(catchAll, catchAll));
        outbound.FilterChains.Add(chain);

        return
        [
            Pack(TypeUrls.Listener, VirtualOutbound, outbound),
            Pack(TypeUrls.Cluster, PassthroughCluster, OriginalDestinationCluster(PassthroughCluster, bindTo: null)),
            Pack(TypeUrls.Cluster, BlackHoleCluster, new Cluster
            {
                Name = BlackHoleCluster,
                Type = Cluster.Types.DiscoveryType.Static,
                ConnectTimeout = Duration.FromTimeSpan(ClusterTranslator.ConnectTimeout),
            }),

            // Istio binds the upstream side of inbound passthrough to 127.0.0.6, so the
            // workload's own iptables rules tell it from the sidecar's outbound traffic.
            Pack(TypeUrls.Cluster, InboundPassthroughCluster, OriginalDestinationCluster(InboundPassthroughCluster, bindTo: "127.0.0.6")),
        ];
    }

    /// <summary>
    /// The outbound HTTP listener of <paramref name="port"/>: <c>0.0.0.0_&lt;port&gt;</c>, not bound
    /// (<c>virtualOutbound</c> hands it the connections), its routes the RouteConfiguration named by
    /// the port. As Istio builds it (<c>buildSidecarOutboundListener</c>, an HTTP port on the
    /// wildcard address), the HTTP connection manager takes only what the HTTP inspector found to
    /// be plaintext HTTP/1.1 or HTTP/2; any other connection to the port (a client speaking TCP to
    /// an address the mesh does not know) goes where it was going, through the default filter
    /// chain: <c>PassthroughCluster</c>, or under REGISTRY_ONLY <c>BlackHoleCluster</c>.
    /// </summary>
    public static Listener HttpListener(int port, bool registryOnly)
    {
        var name = HttpListenerName(port);
        var listener = new Listener
        {
            Name = name,
            Address = SocketAddressOf(AnyAddress, port),
            BindToPort = false,
            TrafficDirection = TrafficDirection.Outbound,
        };
        listener.FilterChains.Add(SniffedHttpChain(name, RouteName(port)));
        listener.DefaultFilterChain = L4RouteTranslator.PassthroughFilterChain(registryOnly);
        AddHttpInspector(listener);
        return listener;
    }

    /// <summary>
    /// The outbound listener <c>&lt;address&gt;_&lt;port&gt;</c> of a service port whose protocol is
    /// not declared, as Istio builds it for a sniffed port (<c>ListenerProtocolAuto</c>): the TCP
    /// listener of the port (<paramref name="tcp"/>, with the <c>tcp[]</c> routes that apply),
    /// whose catch-all chain becomes the default filter chain, plus a chain for what the HTTP
    /// inspector found to be plaintext HTTP, whose connection manager takes its routes from the
    /// RouteConfiguration of this service port alone (<see cref="SniffedRouteName"/>).
    /// </summary>
    public static Listener SniffedListener(Listener tcp, string host, int port)
    {
        ArgumentNullException.ThrowIfNull(tcp);
        ArgumentException.ThrowIfNullOrEmpty(host);
        var listener = tcp.Clone();
        if (listener.DefaultFilterChain is null)
        {
            var catchAll = listener.FilterChains.Single(c => c.FilterChainMatch is null);
            listener.FilterChains.Remove(catchAll);
            listener.DefaultFilterChain = catchAll;
        }

        listener.FilterChains.Add(SniffedHttpChain(listener.Name, SniffedRouteName(host, port)));
        AddHttpInspector(listener);
        return listener;
    }

    /// <summary>The name of the RouteConfiguration of one sniffed service port: <c>&lt;host&gt;:&lt;port&gt;</c>, as Istio names it.</summary>
    public static string SniffedRouteName(string host, int port) => MeshNames.HostPort(host, port);

    /// <summary>
    /// The RouteConfiguration of one sniffed service port, as Istio builds it for a route name
    /// that carries a host (<c>buildSidecarOutboundHTTPRouteConfig</c> with sniffing): the service
    /// port's virtual host alone, answering to any authority (the listener already chose the
    /// service by its address), and no catch-all.
    /// </summary>
    public static XdsResource SniffedRouteConfiguration(string host, int port, VirtualHost virtualHost)
    {
        ArgumentNullException.ThrowIfNull(virtualHost);
        var name = SniffedRouteName(host, port);
        var only = virtualHost.Clone();
        only.Domains.Clear();
        only.Domains.Add("*");
        var configuration = new Envoy.Config.Route.V3.RouteConfiguration { Name = name, ValidateClusters = false };
        configuration.VirtualHosts.Add(only);
        return Pack(TypeUrls.RouteConfiguration, name, configuration);
    }

    /// <summary>
    /// A filter chain for plaintext HTTP the HTTP inspector detected (Istio's
    /// <c>plaintextHTTPALPNs</c> on the <c>raw_buffer</c> transport), whose connection manager
    /// takes its routes over RDS from <paramref name="routeName"/>.
    /// </summary>
    private static FilterChain SniffedHttpChain(string listenerName, string routeName)
    {
        var manager = new HttpConnectionManager
        {
            StatPrefix = $"outbound_{listenerName}",
            Rds = new Rds { ConfigSource = ClusterTranslator.AdsConfigSource(), RouteConfigName = routeName },
            UseRemoteAddress = false,
        };
        manager.HttpFilters.AddRange(HttpFilters());
        var chain = new FilterChain
        {
            Name = listenerName,
            FilterChainMatch = new FilterChainMatch { TransportProtocol = RawBufferTransportProtocol },
        };
        chain.FilterChainMatch.ApplicationProtocols.AddRange(PlaintextHttpAlpns);
        chain.Filters.Add(new Filter { Name = HttpConnectionManagerName, TypedConfig = Any.Pack(manager) });
        return chain;
    }

    /// <summary>
    /// Adds the HTTP inspector after any other listener filter, with no time limit on detection
    /// (Istio's default <c>protocolDetectionTimeout</c> of 0s) and the connection carried on if a
    /// filter times out, as every Istio outbound listener has.
    /// </summary>
    private static void AddHttpInspector(Listener listener)
    {
        listener.ListenerFilters.Add(new ListenerFilter { Name = WorkloadTranslator.HttpInspectorName, TypedConfig = Any.Pack(new Envoy.Extensions.Filters.Listener.HttpInspector.V3.HttpInspector()) });
        listener.ListenerFiltersTimeout = Duration.FromTimeSpan(TimeSpan.Zero);
        listener.ContinueOnListenerFiltersTimeout = true;
    }

    /// <summary>
    /// The outbound TCP listener of one address and port of a service: <c>&lt;address&gt;_&lt;port&gt;</c>,
    /// not bound (<c>virtualOutbound</c> hands it the connections sent to that address), proxying to
    /// <paramref name="cluster"/>. The address is the service's cluster IP, or for a service without
    /// one (headless) the address of one of its endpoints.
    /// </summary>
    public static Listener TcpListener(string address, int port, string cluster)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        ArgumentException.ThrowIfNullOrEmpty(cluster);
        var listener = new Listener
        {
            Name = TcpListenerName(address, port),
            Address = SocketAddressOf(address, port),
            BindToPort = false,
            TrafficDirection = TrafficDirection.Outbound,
        };
        var chain = new FilterChain { Name = cluster };
        chain.Filters.Add(TcpProxyFilter(cluster, cluster));
        listener.FilterChains.Add(chain);
        return listener;
    }

    /// <summary>
    /// The RouteConfiguration named by <paramref name="port"/>: the virtual hosts of every
    /// service on the port (serialised <c>VirtualHost</c>s, in the order given), then Istio's
    /// catch-all virtual host: <c>allow_any</c> to <c>PassthroughCluster</c>, or under REGISTRY_ONLY
    /// <c>block_all</c>, which answers 502. Put together from the pieces' bytes without parsing
    /// them, so a change of one service costs one copy of the port's bytes, not a re-serialisation.
    /// </summary>
    /// <remarks>
    /// A Kubernetes service's bare short name (<c>reviews</c>, <c>reviews:9080</c>) is added to its
    /// virtual host only when no other service on the port has the same one: Envoy rejects a
    /// RouteConfiguration in which two virtual hosts share a domain. Istio gives the bare name to
    /// the service in the proxy's own namespace, building routes per proxy; this configuration is
    /// shared by every sidecar, so where two namespaces each have a <c>reviews</c> on the port,
    /// neither gets it: a call by that name falls to the catch-all (under ALLOW_ANY it still
    /// reaches the address it was sent to, without the service's routing rules), and calls by
    /// <c>reviews.&lt;namespace&gt;</c>, the FQDN or the cluster IP are routed as usual. Appending
    /// the names to a piece's bytes is valid protobuf: a repeated field's entries concatenate.
    /// </remarks>
    public static XdsResource RouteConfiguration(int port, IEnumerable<XdsResource> virtualHosts, bool registryOnly)
    {
        ArgumentNullException.ThrowIfNull(virtualHosts);
        var name = RouteName(port);
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer, leaveOpen: true);
        output.WriteTag(Envoy.Config.Route.V3.RouteConfiguration.NameFieldNumber, WireFormat.WireType.LengthDelimited);
        output.WriteString(name);
        var pieces = virtualHosts.ToList();
        var shortNames = pieces
            .Select(p => ShortName(p.Name[..p.Name.LastIndexOf(':')]))
            .OfType<string>()
            .GroupBy(n => n, StringComparer.Ordinal)
            .Where(g => g.Count() == 1)
            .Select(g => g.Key)
            .ToHashSet(StringComparer.Ordinal);
        foreach (var piece in pieces)
        {
            var shortName = ShortName(piece.Name[..piece.Name.LastIndexOf(':')]);
            if (shortName is not null && shortNames.Contains(shortName))
            {
                WriteVirtualHost(output, UnsafeByteOperations.UnsafeWrap(piece.Payload), shortName, $"{shortName}:{port}");
            }
            else
            {
                WriteVirtualHost(output, UnsafeByteOperations.UnsafeWrap(piece.Payload));
            }
        }

        WriteVirtualHost(output, CatchAll(registryOnly).ToByteString());

        // Istio does not let Envoy hold a route configuration back for a cluster it lacks.
        output.WriteTag(Envoy.Config.Route.V3.RouteConfiguration.ValidateClustersFieldNumber, WireFormat.WireType.LengthDelimited);
        output.WriteMessage(new BoolValue { Value = false });
        output.Flush();
        var payload = buffer.ToArray();
        return new XdsResource(TypeUrls.RouteConfiguration, name, ResourceVersion.Of(payload), payload, ResourceAudience.Sidecar);
    }

    /// <summary>
    /// What one service port adds to every sidecar: for an HTTP port its virtual host, a piece
    /// of the RouteConfiguration named by the port, answering also to the service's cluster IP;
    /// for a port whose protocol is not declared, that piece and, for each address of the service
    /// (its cluster IP, or a headless service's endpoints), a sniffing listener
    /// (<see cref="SniffedListener"/>) with the RouteConfiguration of the port alone;
    /// for a TCP port its <c>&lt;clusterIP&gt;_&lt;port&gt;</c> listener, carrying the VirtualServices'
    /// <c>tcp[]</c> or <c>tls[]</c> routes (see <see cref="RoutedTcpListener"/>); for a UDP port, which
    /// sidecars do not proxy, nothing.
    /// </summary>
    /// <remarks>
    /// A TCP port of a service without a cluster IP (headless) has no address of its own, and a
    /// <c>0.0.0.0_&lt;port&gt;</c> listener would take the name (and the traffic) of the port's
    /// HTTP listener. As Istio's listener builder does for such a port, it gets one listener per
    /// endpoint instead, <c>&lt;endpointIP&gt;_&lt;port&gt;</c>, each proxying to the service's
    /// cluster: the distinct addresses of the ready endpoints of <paramref name="slices"/> that
    /// serve the port, in address order, and none while it has no endpoints. Unlike Istio, the
    /// listener of the proxy's own address is kept, since the listeners are shared by every sidecar.
    /// </remarks>
    /// <param name="service">The service.</param>
    /// <param name="port">One of its ports.</param>
    /// <param name="cluster">The outbound cluster of the port.</param>
    /// <param name="virtualHost">The virtual host of the port, for an HTTP port.</param>
    /// <param name="slices">The service's EndpointSlices, whose endpoints a headless TCP port listens on.</param>
    /// <param name="virtualServices">The VirtualServices bound to the service's host, whose <c>tcp[]</c> and <c>tls[]</c> routes a TCP port's listeners apply (see <see cref="RoutedTcpListener"/>); null means none.</param>
    /// <param name="destinationPorts">The ports of every destination host of those VirtualServices that is a Service.</param>
    /// <param name="registryOnly">Whether the mesh is REGISTRY_ONLY (what a TLS listener does with an SNI no route takes).</param>
    public static IReadOnlyList<XdsResource> ServicePort(
        MeshService service,
        ServicePort port,
        string cluster,
        VirtualHost virtualHost,
        IEnumerable<MeshEndpointSlice> slices,
        IReadOnlyList<VirtualServiceSpec>? virtualServices = null,
        IReadOnlyDictionary<string, IReadOnlyList<int>>? destinationPorts = null,
        bool registryOnly = false)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(port);
        ArgumentNullException.ThrowIfNull(virtualHost);
        ArgumentNullException.ThrowIfNull(slices);
        var protocol = MeshProtocols.Infer(port.Name, port.AppProtocol, port.Protocol);
        if (protocol == MeshProtocol.Udp)
        {
            return [];
        }

        if (protocol.IsTcp())
        {
            var addresses = service.ClusterIp is { } clusterIp ? [clusterIp] : HeadlessAddresses(port, slices);
            return addresses
                .Select(address => RoutedTcpListener(service.Hostname, address, port.Port, protocol, cluster, virtualServices, destinationPorts, registryOnly))
                .Select(listener => Pack(TypeUrls.Listener, listener.Name, listener))
                .ToList();
        }

        var host = virtualHost.Clone();

        // The bare short name is added when the port's RouteConfiguration is put together, and
        // only if no other service on the port has it (see RouteConfiguration).
        if (ShortName(service.Hostname) is { } shortName)
        {
            var bare = host.Domains.Where(d => d == shortName || d == $"{shortName}:{port.Port}").ToList();
            foreach (var domain in bare)
            {
                host.Domains.Remove(domain);
            }
        }

        if (service.ClusterIp is { } ip)
        {
            host.Domains.Add(ip);
            host.Domains.Add($"{ip}:{port.Port}");
        }

        var payload = host.ToByteArray();
        var piece = new XdsResource(TypeUrls.VirtualHostPiece, host.Name, ResourceVersion.Of(payload), payload, ResourceAudience.Sidecar);
        if (protocol != MeshProtocol.Unknown)
        {
            return [piece];
        }

        // Not declared: Istio sniffs. Connections to the service's own address(es) reach a listener
        // that sends HTTP through the port's routes and anything else to the port's cluster.
        var own = service.ClusterIp is { } address ? [address] : HeadlessAddresses(port, slices);
        return [piece, .. Sniffed(service.Hostname, port.Port, virtualHost,
            own.Select(a => RoutedTcpListener(service.Hostname, a, port.Port, protocol, cluster, virtualServices, destinationPorts, registryOnly)))];
    }

    /// <summary>
    /// What a port of undeclared protocol of <paramref name="host"/> adds beside its virtual host
    /// piece: each of its TCP listeners made a sniffing one (<see cref="SniffedListener"/>) and, when
    /// there is any, the RouteConfiguration of the port alone (<see cref="SniffedRouteConfiguration"/>).
    /// </summary>
    public static IReadOnlyList<XdsResource> Sniffed(string host, int port, VirtualHost virtualHost, IEnumerable<Listener> tcpListeners)
    {
        ArgumentNullException.ThrowIfNull(tcpListeners);
        var resources = tcpListeners
            .Select(tcp => SniffedListener(tcp, host, port))
            .Select(listener => Pack(TypeUrls.Listener, listener.Name, listener))
            .ToList();
        if (resources.Count > 0)
        {
            resources.Add(SniffedRouteConfiguration(host, port, virtualHost));
        }

        return resources;
    }

    /// <summary>
    /// The addresses a headless service's TCP <paramref name="port"/> is reached on: the first
    /// address of each ready endpoint of a slice that serves the port by name, once each, in
    /// ordinal order. Addresses that are not IPs (an FQDN slice) and the wildcard address (whose
    /// listener would be the port's HTTP listener) are left out.
    /// </summary>
    private static List<string> HeadlessAddresses(ServicePort port, IEnumerable<MeshEndpointSlice> slices)
    {
        var addresses = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var slice in slices.Where(s => s.Ports.Any(p => p.Name == port.Name && p.Port is > 0)))
        {
            foreach (var endpoint in slice.Endpoints)
            {
                if (endpoint.Ready && endpoint.Addresses.Count > 0
                    && System.Net.IPAddress.TryParse(endpoint.Addresses[0], out var ip)
                    && !ip.Equals(System.Net.IPAddress.Any) && !ip.Equals(System.Net.IPAddress.IPv6Any))
                {
                    addresses.Add(endpoint.Addresses[0]);
                }
            }
        }

        return addresses.ToList();
    }

    /// <summary>The catch-all virtual host Istio ends every outbound RouteConfiguration with.</summary>
    public static VirtualHost CatchAll(bool registryOnly)
    {
        var name = registryOnly ? "block_all" : "allow_any";
        var route = new Route { Name = name, Match = new RouteMatch { Prefix = "/" } };
        if (registryOnly)
        {
            route.DirectResponse = new DirectResponseAction { Status = 502 };
        }
        else
        {
            // No timeout, and none from a grpc-timeout header either, as Istio's catch-all has.
#pragma warning disable CS0612 // Istio still sets max_grpc_timeout rather than max_stream_duration.
            route.Route_ = new RouteAction { Cluster = PassthroughCluster, Timeout = Duration.FromTimeSpan(TimeSpan.Zero), MaxGrpcTimeout = Duration.FromTimeSpan(TimeSpan.Zero) };
#pragma warning restore CS0612
        }

        var host = new VirtualHost { Name = name, IncludeRequestAttemptCount = true };
        host.Domains.Add("*");
        host.Routes.Add(route);
        return host;
    }

    /// <summary>Istio's HTTP filters of a sidecar's HTTP connection managers: fault, CORS, router last.</summary>
    public static IEnumerable<HttpFilter> HttpFilters()
    {
        yield return new HttpFilter { Name = RouteTranslator.FaultFilter, TypedConfig = Any.Pack(new HTTPFault()) };
        yield return new HttpFilter { Name = RouteTranslator.CorsFilter, TypedConfig = Any.Pack(new Cors()) };
        yield return new HttpFilter { Name = ListenerTranslator.RouterFilterName, TypedConfig = Any.Pack(new Router()) };
    }

    /// <summary>A <c>tcp_proxy</c> network filter to <paramref name="cluster"/>.</summary>
    public static Filter TcpProxyFilter(string statPrefix, string cluster) =>
        new() { Name = TcpProxyName, TypedConfig = Any.Pack(new TcpProxy { StatPrefix = statPrefix, Cluster = cluster }) };

    /// <summary>An address with a TCP socket address.</summary>
    public static Address SocketAddressOf(string address, int port) =>
        new() { SocketAddress = new SocketAddress { Address = address, PortValue = (uint)port } };

    /// <summary>Serialises <paramref name="message"/> for sidecars only.</summary>
    public static XdsResource Pack(string typeUrl, string name, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var payload = message.ToByteArray();
        return new XdsResource(typeUrl, name, ResourceVersion.Of(payload), payload, ResourceAudience.Sidecar);
    }

    private static Cluster OriginalDestinationCluster(string name, string? bindTo)
    {
        var cluster = new Cluster
        {
            Name = name,
            Type = Cluster.Types.DiscoveryType.OriginalDst,
            LbPolicy = Cluster.Types.LbPolicy.ClusterProvided,
            ConnectTimeout = Duration.FromTimeSpan(ClusterTranslator.ConnectTimeout),
        };
        if (bindTo is not null)
        {
            cluster.UpstreamBindConfig = new BindConfig { SourceAddress = new SocketAddress { Address = bindTo, PortValue = 0 } };
        }

        return cluster;
    }

    /// <summary>The bare short name of a Kubernetes service's hostname (<c>name</c> of <c>name.ns.svc.cluster.local</c>), or null for any other host.</summary>
    public static string? ShortName(string hostname)
    {
        ArgumentNullException.ThrowIfNull(hostname);
        var suffix = ".svc." + MeshNames.DomainSuffix;
        if (!hostname.EndsWith(suffix, StringComparison.Ordinal))
        {
            return null;
        }

        var dot = hostname.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && dot < hostname.Length - suffix.Length ? hostname[..dot] : null;
    }

    private static void WriteVirtualHost(CodedOutputStream output, ByteString bytes, params string[] extraDomains)
    {
        output.WriteTag(Envoy.Config.Route.V3.RouteConfiguration.VirtualHostsFieldNumber, WireFormat.WireType.LengthDelimited);
        if (extraDomains.Length == 0)
        {
            output.WriteBytes(bytes);
            return;
        }

        // The piece's bytes followed by more `domains` entries: the same VirtualHost with more domains.
        var extra = new VirtualHost();
        extra.Domains.AddRange(extraDomains);
        var combined = new byte[bytes.Length + extra.CalculateSize()];
        bytes.Span.CopyTo(combined);
        extra.WriteTo(combined.AsSpan(bytes.Length));
        output.WriteBytes(UnsafeByteOperations.UnsafeWrap(combined));
    }
}
