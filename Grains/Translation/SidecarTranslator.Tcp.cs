using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>The outbound TCP listeners of service ports that VirtualService <c>tcp[]</c> and <c>tls[]</c> routes apply to.</summary>
public static partial class SidecarTranslator
{
    /// <summary>
    /// The outbound listener <c>&lt;address&gt;_&lt;port&gt;</c> of a TCP service port, with the
    /// VirtualService routes that apply to it for the mesh, as Istio builds it
    /// (<c>buildSidecarOutboundTCPListenerOpts</c>): a port of protocol TLS or HTTPS takes the
    /// <c>tls[]</c> routes (filter chains by SNI, read by the TLS inspector), any other TCP port the
    /// <c>tcp[]</c> routes (by destination subnet); see <see cref="L4RouteTranslator"/>. What no
    /// route takes goes to the service's own cluster, except on a TLS port that has routes, where
    /// Istio sends it on to where it was going (<c>PassthroughFilterChain</c>; under REGISTRY_ONLY
    /// it is dropped). A port no route applies to gets the plain <see cref="TcpListener"/>.
    /// </summary>
    /// <param name="host">The service's hostname.</param>
    /// <param name="address">The address the listener stands for (the cluster IP, or a headless service's endpoint).</param>
    /// <param name="port">The service port.</param>
    /// <param name="protocol">The port's protocol (a TCP one).</param>
    /// <param name="cluster">The port's outbound cluster.</param>
    /// <param name="virtualServices">The VirtualServices bound to <paramref name="host"/>; null means none.</param>
    /// <param name="destinationPorts">The ports of every destination host that is a Service; null means none.</param>
    /// <param name="registryOnly">Whether the mesh is REGISTRY_ONLY.</param>
    public static Listener RoutedTcpListener(
        string host,
        string address,
        int port,
        MeshProtocol protocol,
        string cluster,
        IReadOnlyList<VirtualServiceSpec>? virtualServices,
        IReadOnlyDictionary<string, IReadOnlyList<int>>? destinationPorts,
        bool registryOnly)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        var bound = L4RouteTranslator.ForMesh(host, virtualServices ?? []);
        var ports = destinationPorts ?? new Dictionary<string, IReadOnlyList<int>>();
        IReadOnlyCollection<string> mesh = [VirtualServiceSpec.MeshGateway];
        var tls = protocol is MeshProtocol.Tls or MeshProtocol.Https;
        var chains = bound.Count == 0 ? []
            : tls ? L4RouteTranslator.TlsFilterChains(bound, port, mesh, ports)
            : L4RouteTranslator.TcpFilterChains(bound, port, mesh, ports);
        if (chains.Count == 0)
        {
            return TcpListener(address, port, cluster);
        }

        var own = new FilterChain { Name = cluster };
        own.Filters.Add(TcpProxyFilter(cluster, cluster));
        var listener = new Listener
        {
            Name = TcpListenerName(address, port),
            Address = SocketAddressOf(address, port),
            BindToPort = false,
            TrafficDirection = TrafficDirection.Outbound,
        };
        return L4RouteTranslator.Listener(listener, chains, tls ? L4RouteTranslator.PassthroughFilterChain(registryOnly) : own);
    }
}
