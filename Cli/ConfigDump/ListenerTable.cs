using System.Globalization;
using System.Text.Json;
using Mesh.Orleans.Cli.Output;

namespace Mesh.Orleans.Cli.ConfigDump;

/// <summary>
/// <c>istioctl proxy-config listener</c>'s table (its default, verbose form): one row per filter
/// chain (the default chain included) with the listener's addresses and port, what the chain
/// matches (SNI, transport, ALPN, destination address and port) and where it sends traffic (an
/// RDS route name, an inline route, a TCP cluster). Sorted by port, address and kind. A
/// proxyless gRPC client's API listener, which has no address and no chains (istioctl prints
/// nothing for it), gets one row: its name, <c>-</c> for the port, and its route.
/// </summary>
internal static class ListenerTable
{
    /// <summary>The network filter that makes a chain HTTP.</summary>
    public const string HttpConnectionManager = "envoy.filters.network.http_connection_manager";

    /// <summary>The network filter that makes a chain TCP.</summary>
    public const string TcpProxy = "envoy.filters.network.tcp_proxy";

    private const string BlackHoleCluster = "BlackHoleCluster";

    // istioctl's names for the ALPN lists Istio's filter chains match on.
    private static readonly (string Description, string[] Protocols)[] s_protocols =
    [
        ("App: HTTP TLS", ["http/1.0", "http/1.1", "h2c", "istio-http/1.0", "istio-http/1.1", "istio-h2"]),
        ("App: Istio HTTP Plain", ["istio", "istio-http/1.0", "istio-http/1.1", "istio-h2"]),
        ("App: TCP TLS", ["istio-peer-exchange", "istio"]),
        ("App: HTTP", ["http/1.0", "http/1.1", "h2c"]),
    ];

    /// <summary>Writes the table of <paramref name="listeners"/>.</summary>
    public static void Write(IEnumerable<JsonElement> listeners, TextWriter output)
    {
        var table = new TableWriter(padding: 1);
        table.Add("ADDRESSES", "PORT", "MATCH", "DESTINATION");
        var ordered = listeners
            .Select(l => (Listener: l, Port: l.Number("address", "socket_address", "port_value") ?? 0, Address: AddressOf(l), Kind: KindOf(l)))
            .OrderBy(l => l.Port)
            .ThenBy(l => l.Address, StringComparer.Ordinal)
            .ThenBy(l => l.Kind, StringComparer.Ordinal);
        foreach (var (listener, port, address, _) in ordered)
        {
            var chains = ChainsOf(listener);
            if (chains.Count == 0 && listener.Field("api_listener") is { } api)
            {
                table.Add(listener.Text("name"), "-", "ALL", Destination([api.Field("api_listener") ?? default], viaApiListener: true));
                continue;
            }

            var addresses = string.Join(',', new[] { address }.Concat(listener.Items("additional_addresses").Select(a => a.Text("address", "socket_address", "address"))));
            var rows = chains
                .Select(c => (Match: MatchOf(c.Field("filter_chain_match") ?? default), Destination: Destination(c.Items("filters").ToList(), viaApiListener: false)))
                .OrderByDescending(r => r.Destination, StringComparer.Ordinal);
            foreach (var (match, destination) in rows)
            {
                table.Add(addresses, port.ToString(CultureInfo.InvariantCulture), match, destination);
            }
        }

        table.WriteTo(output);
    }

    private static string AddressOf(JsonElement listener) =>
        listener.Path("address", "socket_address") is { } socket ? socket.Text("address") : listener.Text("address", "pipe", "path");

    private static List<JsonElement> ChainsOf(JsonElement listener)
    {
        var chains = listener.Items("filter_chains").ToList();
        if (listener.Field("default_filter_chain") is { ValueKind: JsonValueKind.Object } fallback)
        {
            chains.Add(fallback);
        }

        return chains;
    }

    /// <summary>HTTP, TCP, HTTP+TCP or UNKNOWN by the chains' filters (a TCP proxy to BlackHoleCluster does not count).</summary>
    private static string KindOf(JsonElement listener)
    {
        var filters = ChainsOf(listener).SelectMany(c => c.Items("filters")).ToList();
        var http = filters.Count(IsHttp);
        var tcp = filters.Count(f => IsTcp(f) && !f.GetRawText().Contains(BlackHoleCluster, StringComparison.Ordinal));
        return http > 0 ? (tcp == 0 ? "HTTP" : "HTTP+TCP") : tcp > 0 ? "TCP" : "UNKNOWN";
    }

    private static bool IsHttp(JsonElement filter) =>
        filter.Text("name") == HttpConnectionManager || filter.Text("typed_config", "@type").EndsWith(".HttpConnectionManager", StringComparison.Ordinal);

    private static bool IsTcp(JsonElement filter) =>
        filter.Text("name") == TcpProxy || filter.Text("typed_config", "@type").EndsWith(".TcpProxy", StringComparison.Ordinal);

    /// <summary>istioctl's <c>getMatches</c>: the chain's match in words, <c>ALL</c> when it has none.</summary>
    private static string MatchOf(JsonElement match)
    {
        var descriptions = new List<string>();
        if (match.Strings("server_names") is { Count: > 0 } names)
        {
            descriptions.Add("SNI: " + string.Join(',', names));
        }

        if (match.Text("transport_protocol") is { Length: > 0 } transport)
        {
            descriptions.Add("Trans: " + transport);
        }

        if (match.Strings("application_protocols") is { Count: > 0 } protocols)
        {
            descriptions.Add(s_protocols.FirstOrDefault(p => p.Protocols.SequenceEqual(protocols)).Description ?? "App: " + string.Join(',', protocols));
        }

        var port = match.Number("destination_port") is { } number ? ":" + number.ToString(CultureInfo.InvariantCulture) : string.Empty;
        var ranges = match.Items("prefix_ranges").Select(r => $"{r.Text("address_prefix")}/{r.Number("prefix_len") ?? 0}").ToList();
        if (ranges.Count > 0)
        {
            descriptions.Add($"Addr: {string.Join(',', ranges)}{port}");
        }
        else if (port.Length > 0)
        {
            descriptions.Add("Addr: *" + port);
        }

        return descriptions.Count == 0 ? "ALL" : string.Join("; ", descriptions);
    }

    /// <summary>istioctl's <c>getFilterType</c>: where the first HTTP or (non-black-hole) TCP filter sends traffic.</summary>
    private static string Destination(IReadOnlyList<JsonElement> filters, bool viaApiListener)
    {
        foreach (var filter in filters)
        {
            // An API listener holds the HttpConnectionManager itself, not a filter wrapping it.
            var config = viaApiListener ? filter : filter.Field("typed_config") ?? default;
            if (viaApiListener || IsHttp(filter))
            {
                if (config.Field("route_config") is { } inline)
                {
                    return RouteDescriptions.InlineRouteConfig(inline);
                }

                return config.Text("rds", "route_config_name") is { Length: > 0 } name ? "Route: " + name : "HTTP";
            }

            if (IsTcp(filter) && !filter.GetRawText().Contains(BlackHoleCluster, StringComparison.Ordinal))
            {
                var cluster = config.Text("cluster");
                return cluster.Contains("Cluster", StringComparison.Ordinal) ? cluster : "Cluster: " + cluster;
            }
        }

        return "Non-HTTP/Non-TCP";
    }
}
