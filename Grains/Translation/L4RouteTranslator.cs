using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Listener.TlsInspector.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// VirtualService <c>tcp[]</c> and <c>tls[]</c> routes as Envoy filter chains, the way Istio's
/// outbound listener builder makes them (<c>pilot/pkg/networking/core/tls.go</c>,
/// <c>buildSidecarOutboundTCPFilterChainOpts</c> and <c>buildSidecarOutboundTLSFilterChainOpts</c>;
/// <c>listener.go</c>, <c>buildListenerFromEntry</c>): which route applies to a listener port
/// (the static part of a match: port, gateways), one filter chain per route whose runtime part
/// (destination subnets, SNI) becomes its <c>filter_chain_match</c>, a <c>tcp_proxy</c> to the
/// route's destinations, and the listener put together from those chains and a fallback. Shared
/// by sidecar listeners (<see cref="SidecarTranslator"/>) and gateway TCP/TLS servers.
/// </summary>
/// <remarks>
/// Envoy rejects a listener in which two filter chains match the same connections ("multiple
/// filter chains with the same matching rules"). Istio leaves out a TLS match whose SNI hosts and
/// subnets an earlier one had; this goes one step further and leaves out each (subnet, server
/// name) pair an earlier chain already takes, so overlapping routes never make a listener Envoy
/// refuses: where routes overlap, the first (in VirtualService order) keeps the overlap.
/// </remarks>
public static class L4RouteTranslator
{
    /// <summary>The listener filter that reads a TLS ClientHello's SNI and ALPN.</summary>
    public const string TlsInspectorName = "envoy.filters.listener.tls_inspector";

    /// <summary>The name Istio gives the default filter chain of a listener none of whose routes catches every connection.</summary>
    public const string PassthroughFilterChainName = "PassthroughFilterChain";

    /// <summary>
    /// Whether a TCP route's match applies on a listener of <paramref name="port"/> for a proxy
    /// serving <paramref name="gateways"/> (<c>mesh</c> for sidecars): it names no port or that
    /// port, names no gateways or one of them, and asks nothing of the source proxy. A match on
    /// <c>sourceLabels</c> or <c>sourceNamespace</c> is left out, as HTTP matches are: listeners
    /// are shared by every proxy of a scope, so no single proxy's labels can decide. Like Istio,
    /// <c>sourceSubnet</c> is not applied.
    /// </summary>
    public static bool AppliesTo(L4MatchSpec match, int port, IReadOnlyCollection<string> gateways)
    {
        ArgumentNullException.ThrowIfNull(match);
        ArgumentNullException.ThrowIfNull(gateways);
        return Static(match.Port, match.Gateways, match.SourceLabels, match.SourceNamespace, port, gateways);
    }

    /// <summary>Whether a TLS route's match applies on a listener of <paramref name="port"/> (see <see cref="AppliesTo(L4MatchSpec, int, IReadOnlyCollection{string})"/>).</summary>
    public static bool AppliesTo(TlsMatchSpec match, int port, IReadOnlyCollection<string> gateways)
    {
        ArgumentNullException.ThrowIfNull(match);
        ArgumentNullException.ThrowIfNull(gateways);
        return Static(match.Port, match.Gateways, match.SourceLabels, match.SourceNamespace, port, gateways);
    }

    /// <summary>
    /// The VirtualServices of <paramref name="bound"/> that route <paramref name="host"/> for the
    /// mesh, in the order their routes apply: namespace, then name (as for HTTP routes).
    /// </summary>
    public static IReadOnlyList<VirtualServiceSpec> ForMesh(string host, IEnumerable<VirtualServiceSpec> bound)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(bound);
        return bound
            .Where(v => v.AppliesToMesh && v.Hosts.Contains(host, StringComparer.Ordinal))
            .OrderBy(v => v.Namespace, StringComparer.Ordinal)
            .ThenBy(v => v.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The filter chains of the <c>tcp[]</c> routes of <paramref name="virtualServices"/> (in the
    /// order given) on a listener of <paramref name="port"/>. A route without matches, or with a
    /// match that applies and names no destination subnets, catches every connection: its chain
    /// has no <c>filter_chain_match</c>, it is the last one, and no route after it is looked at
    /// (Istio's terminating condition). Otherwise the destination subnets of the route's matches
    /// that apply become one chain's <c>prefix_ranges</c>; a route none of whose matches applies
    /// gives no chain. Empty when no route applies.
    /// </summary>
    /// <param name="virtualServices">The VirtualServices bound to the listener's host, in the order they apply.</param>
    /// <param name="port">The listener's (service) port.</param>
    /// <param name="gateways">What the proxy serves: <c>mesh</c> for a sidecar, the gateway's names for a gateway.</param>
    /// <param name="destinationPorts">The ports of every destination host that is a Service, to infer omitted ports and leave out missing destinations.</param>
    public static IReadOnlyList<FilterChain> TcpFilterChains(
        IReadOnlyList<VirtualServiceSpec> virtualServices,
        int port,
        IReadOnlyCollection<string> gateways,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts)
    {
        ArgumentNullException.ThrowIfNull(virtualServices);
        ArgumentNullException.ThrowIfNull(gateways);
        ArgumentNullException.ThrowIfNull(destinationPorts);
        var chains = new List<FilterChain>();
        var taken = new HashSet<(string Subnet, string ServerName)>();
        foreach (var virtualService in virtualServices)
        {
            var routes = virtualService.Tcp ?? [];
            for (var r = 0; r < routes.Count; r++)
            {
                var route = routes[r];
                var name = $"{virtualService.Namespace}/{virtualService.Name} tcp[{r}]";
                var applying = route.Match.Where(m => AppliesTo(m, port, gateways)).ToList();
                if (route.Match.Count == 0 || applying.Any(m => m.DestinationSubnets.Count == 0))
                {
                    chains.AddRange(Chains(name, [], [], taken, () => TcpProxy(virtualService, route.Route, port, destinationPorts)));
                    return chains;
                }

                var subnets = applying.SelectMany(m => m.DestinationSubnets).ToList();
                if (subnets.Count > 0)
                {
                    chains.AddRange(Chains(name, subnets, [], taken, () => TcpProxy(virtualService, route.Route, port, destinationPorts)));
                }
            }
        }

        return chains;
    }

    /// <summary>
    /// The filter chains of the <c>tls[]</c> routes of <paramref name="virtualServices"/> (in the
    /// order given) on a listener of <paramref name="port"/>: one per match that applies, matching
    /// its <c>sniHosts</c> as <c>server_names</c> (none for <c>*</c>) and its destination subnets
    /// as <c>prefix_ranges</c>, proxying to the route's destinations. A chain that matches
    /// neither (SNI <c>*</c>, no subnets) catches every connection and has no
    /// <c>filter_chain_match</c>. Empty when no match applies. A listener with such chains needs
    /// the TLS inspector (see <see cref="Listener"/>).
    /// </summary>
    /// <param name="virtualServices">The VirtualServices bound to the listener's host, in the order they apply.</param>
    /// <param name="port">The listener's (service) port.</param>
    /// <param name="gateways">What the proxy serves: <c>mesh</c> for a sidecar, the gateway's names for a gateway.</param>
    /// <param name="destinationPorts">The ports of every destination host that is a Service, to infer omitted ports and leave out missing destinations.</param>
    public static IReadOnlyList<FilterChain> TlsFilterChains(
        IReadOnlyList<VirtualServiceSpec> virtualServices,
        int port,
        IReadOnlyCollection<string> gateways,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts)
    {
        ArgumentNullException.ThrowIfNull(virtualServices);
        ArgumentNullException.ThrowIfNull(gateways);
        ArgumentNullException.ThrowIfNull(destinationPorts);
        var chains = new List<FilterChain>();
        var taken = new HashSet<(string Subnet, string ServerName)>();
        foreach (var virtualService in virtualServices)
        {
            var routes = virtualService.Tls ?? [];
            for (var r = 0; r < routes.Count; r++)
            {
                var route = routes[r];
                for (var m = 0; m < route.Match.Count; m++)
                {
                    var match = route.Match[m];
                    if (AppliesTo(match, port, gateways))
                    {
                        var name = $"{virtualService.Namespace}/{virtualService.Name} tls[{r}].match[{m}]";
                        chains.AddRange(Chains(name, match.DestinationSubnets, match.SniHosts, taken, () => TcpProxy(virtualService, route.Route, port, destinationPorts)));
                    }
                }
            }
        }

        // A chain catching every connection goes last, where a listener's default belongs.
        return chains.OrderBy(c => c.FilterChainMatch is null).ToList();
    }

    /// <summary>
    /// The <c>tcp_proxy</c> of a route: to its one destination's cluster
    /// (<c>outbound|port|subset|host</c>, the stat prefix being that name), or to
    /// <c>weighted_clusters</c>, each destination weighing more than 0 with its weight (stat
    /// prefix <c>&lt;name&gt;.&lt;namespace&gt;</c> of <paramref name="owner"/>), as Istio builds
    /// them. Destinations whose cluster does not exist are left out, the others taking their share,
    /// unless none would be left to take traffic: then every declared one is kept, so that
    /// connections on the route fail rather than reach what the route does not name.
    /// </summary>
    /// <param name="owner">The VirtualService the route belongs to.</param>
    /// <param name="destinations">The route's destinations.</param>
    /// <param name="port">The port being routed, for destinations that name none.</param>
    /// <param name="destinationPorts">The ports of every destination host that is a Service.</param>
    public static Filter TcpProxy(
        VirtualServiceSpec owner,
        IReadOnlyList<RouteDestinationSpec> destinations,
        int port,
        IReadOnlyDictionary<string, IReadOnlyList<int>> destinationPorts)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(destinations);
        ArgumentNullException.ThrowIfNull(destinationPorts);
        if (destinations.Count == 0)
        {
            throw new ArgumentException("a route needs at least one destination", nameof(destinations));
        }

        var existing = destinations.Where(d => RouteDestinations.Exists(d, port, destinationPorts)).ToList();
        var served = existing.Count == 0 || (destinations.Count > 1 && existing.Sum(d => (long)d.Weight) == 0) ? destinations : existing;
        string Cluster(RouteDestinationSpec d) => MeshNames.OutboundCluster(d.Host, RouteDestinations.Port(d, port, destinationPorts), d.Subset ?? string.Empty);

        var weighted = served.Where(d => d.Weight > 0).ToList();
        if (served.Count == 1 || weighted.Count == 0)
        {
            var cluster = Cluster(served[0]);
            return SidecarTranslator.TcpProxyFilter(cluster, cluster);
        }

        if (weighted.Count == 1)
        {
            var cluster = Cluster(weighted[0]);
            return SidecarTranslator.TcpProxyFilter(cluster, cluster);
        }

        var split = new TcpProxy.Types.WeightedCluster();
        foreach (var destination in weighted)
        {
            split.Clusters.Add(new TcpProxy.Types.WeightedCluster.Types.ClusterWeight { Name = Cluster(destination), Weight = (uint)destination.Weight });
        }

        var proxy = new TcpProxy { StatPrefix = $"{owner.Name}.{owner.Namespace}", WeightedClusters = split };
        return new Filter { Name = SidecarTranslator.TcpProxyName, TypedConfig = Any.Pack(proxy) };
    }

    /// <summary>
    /// The <c>filter_chain_match</c> of SNI names and destination subnets: <c>server_names</c> the
    /// SNI hosts sorted (none when one of them is <c>*</c>), <c>prefix_ranges</c> the subnets sorted;
    /// null when it asks for neither, a chain that takes every connection.
    /// </summary>
    public static FilterChainMatch? ServerNameMatch(IEnumerable<string> sniHosts, IEnumerable<string> destinationSubnets)
    {
        ArgumentNullException.ThrowIfNull(sniHosts);
        ArgumentNullException.ThrowIfNull(destinationSubnets);
        var names = sniHosts.ToList();
        var subnets = destinationSubnets.Select(Canonical).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (names.Contains("*", StringComparer.Ordinal))
        {
            names = [];
        }

        if (names.Count == 0 && subnets.Count == 0)
        {
            return null;
        }

        var match = new FilterChainMatch();
        match.ServerNames.AddRange(names.Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal));
        match.PrefixRanges.AddRange(subnets.Select(CidrRange));
        return match;
    }

    /// <summary>
    /// An IP (a /32 or /128) or CIDR block as an Envoy <c>CidrRange</c>, its address masked to the
    /// prefix (<c>10.1.2.3/8</c> is <c>10.0.0.0</c>, 8).
    /// </summary>
    /// <exception cref="FormatException">The text is neither an IP nor a CIDR block.</exception>
    public static CidrRange CidrRange(string subnet)
    {
        var (address, length) = ParseSubnet(subnet);
        return new CidrRange { AddressPrefix = address.ToString(), PrefixLen = (uint)length };
    }

    /// <summary>
    /// A listener put together as Istio's <c>buildListenerFromEntry</c> does: the chains with a
    /// <c>filter_chain_match</c> in order; the chain without one (a route catching every
    /// connection), else <paramref name="fallback"/>, as the <c>default_filter_chain</c>, or as the
    /// only filter chain when there is no other; the TLS inspector when a chain matches on server
    /// names, then with no listener filter timeout (Istio's: a slow ClientHello is waited for).
    /// </summary>
    /// <param name="listener">The listener (name, address, direction), without filter chains.</param>
    /// <param name="chains">The route chains, as <see cref="TcpFilterChains"/> or <see cref="TlsFilterChains"/> give them.</param>
    /// <param name="fallback">What takes the connections no route chain takes.</param>
    public static Listener Listener(Listener listener, IReadOnlyList<FilterChain> chains, FilterChain fallback)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(chains);
        ArgumentNullException.ThrowIfNull(fallback);
        var matched = chains.Where(c => c.FilterChainMatch is not null).ToList();
        var catchAll = chains.FirstOrDefault(c => c.FilterChainMatch is null) ?? fallback;
        listener.FilterChains.AddRange(matched);
        if (matched.Count == 0)
        {
            listener.FilterChains.Add(catchAll);
        }
        else
        {
            listener.DefaultFilterChain = catchAll;
        }

        if (matched.Any(c => c.FilterChainMatch.ServerNames.Count > 0))
        {
            listener.ListenerFilters.Add(new ListenerFilter { Name = TlsInspectorName, TypedConfig = Any.Pack(new TlsInspector()) });
            listener.ListenerFiltersTimeout = Duration.FromTimeSpan(TimeSpan.Zero);
            listener.ContinueOnListenerFiltersTimeout = true;
        }

        return listener;
    }

    /// <summary>
    /// Istio's <c>PassthroughFilterChain</c>: the default chain of a listener whose routes leave
    /// connections untaken, sending them where they were going (<c>PassthroughCluster</c>), or
    /// under REGISTRY_ONLY dropping them (<c>BlackHoleCluster</c>).
    /// </summary>
    public static FilterChain PassthroughFilterChain(bool registryOnly)
    {
        var cluster = registryOnly ? SidecarTranslator.BlackHoleCluster : SidecarTranslator.PassthroughCluster;
        var chain = new FilterChain { Name = PassthroughFilterChainName, FilterChainMatch = new FilterChainMatch() };
        chain.Filters.Add(SidecarTranslator.TcpProxyFilter(cluster, cluster));
        return chain;
    }

    private static bool Static(
        int? matchPort,
        IReadOnlyList<string>? matchGateways,
        IReadOnlyDictionary<string, string>? sourceLabels,
        string? sourceNamespace,
        int port,
        IReadOnlyCollection<string> gateways) =>
        (matchPort is null || matchPort == port)
        && (matchGateways is null || matchGateways.Count == 0 || matchGateways.Any(gateways.Contains))
        && (sourceLabels is null || sourceLabels.Count == 0)
        && sourceNamespace is null;

    /// <summary>
    /// The chains of one match: its (subnet, server name) pairs less those an earlier chain takes,
    /// grouped so that each chain is again every subnet with every name (usually one chain; none
    /// when all were taken, more when earlier chains took some names for some subnets only).
    /// </summary>
    private static IEnumerable<FilterChain> Chains(
        string name,
        IReadOnlyList<string> subnets,
        IReadOnlyList<string> serverNames,
        HashSet<(string Subnet, string ServerName)> taken,
        Func<Filter> proxy)
    {
        IReadOnlyList<string> cidrs = subnets.Count == 0 ? [string.Empty] : subnets.Select(Canonical).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        IReadOnlyList<string> names = serverNames.Count == 0 || serverNames.Contains("*", StringComparer.Ordinal)
            ? [string.Empty]
            : serverNames.Select(n => n.ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var groups = cidrs
            .Select(c => (Cidr: c, Names: names.Where(n => !taken.Contains((c, n))).ToList()))
            .Where(g => g.Names.Count > 0)
            .GroupBy(g => string.Join(",", g.Names), StringComparer.Ordinal)
            .ToList();
        for (var i = 0; i < groups.Count; i++)
        {
            var groupCidrs = groups[i].Select(g => g.Cidr).Where(c => c.Length > 0).ToList();
            var groupNames = groups[i].First().Names.Where(n => n.Length > 0).ToList();
            foreach (var (cidr, serverName) in groups[i].SelectMany(g => g.Names.Select(n => (g.Cidr, n))))
            {
                taken.Add((cidr, serverName));
            }

            var chain = new FilterChain
            {
                Name = groups.Count == 1 ? name : string.Create(CultureInfo.InvariantCulture, $"{name} ({i + 1})"),
                FilterChainMatch = ServerNameMatch(groupNames, groupCidrs),
            };
            chain.Filters.Add(proxy());
            yield return chain;
        }
    }

    /// <summary>A subnet as <c>address/length</c>, the address masked, so equal blocks compare equal.</summary>
    private static string Canonical(string subnet)
    {
        var (address, length) = ParseSubnet(subnet);
        return string.Create(CultureInfo.InvariantCulture, $"{address}/{length}");
    }

    private static (IPAddress Address, int Length) ParseSubnet(string subnet)
    {
        ArgumentNullException.ThrowIfNull(subnet);
        var slash = subnet.IndexOf('/', StringComparison.Ordinal);
        var text = slash < 0 ? subnet : subnet[..slash];
        // IPAddress also takes the legacy short IPv4 forms ("10.1.2"), which a subnet is not.
        if (!IPAddress.TryParse(text, out var address)
            || (address.AddressFamily == AddressFamily.InterNetwork && text.Count(c => c == '.') != 3))
        {
            throw new FormatException($"'{subnet}' is not an IP address or CIDR block");
        }

        var bits = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        var length = bits;
        if (slash >= 0 && (!int.TryParse(subnet.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > bits))
        {
            throw new FormatException($"'{subnet}' has an invalid prefix length");
        }

        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(length - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return (new IPAddress(bytes), length);
    }
}
