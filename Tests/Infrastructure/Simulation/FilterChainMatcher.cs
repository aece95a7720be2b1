using System.Net;
using Envoy.Config.Listener.V3;

namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>
/// Envoy's filter chain selection (the Listener docs, "Filter chain match"): the criteria are
/// applied one after another, destination port, destination IP, server name, transport
/// protocol, application protocols, directly connected source IP, source type, source IP,
/// source port. At each criterion the chains that match it most specifically are kept (longest
/// prefix, exact server name before the longest wildcard, a set source type before ANY); only
/// when none matches are the chains that leave it unset kept instead. There is no going back:
/// once a criterion picked its chains, a later mismatch does not return to chains dropped
/// earlier, so a connection can fall to the default filter chain although a less specific
/// chain would have matched.
/// </summary>
internal static class FilterChainMatcher
{
    private static readonly FilterChainMatch s_empty = new();

    /// <summary>
    /// The chain <paramref name="listener"/> gives <paramref name="connection"/>, its default chain
    /// when none matches, or null; <paramref name="ambiguity"/> is set when several chains match
    /// alike, a listener Envoy rejects ("multiple filter chains with the same matching rules").
    /// </summary>
    public static FilterChain? Match(Listener listener, Connection connection, out string? ambiguity)
    {
        ambiguity = null;
        var chains = listener.FilterChains.ToList();

        chains = Narrow(chains, m => m.DestinationPort is null, m => m.DestinationPort == connection.DestinationPort ? 0 : null);
        chains = Narrow(chains, m => m.PrefixRanges.Count == 0, m => Cidr.LongestMatch(m.PrefixRanges, connection.DestinationAddress));
        chains = Narrow(chains, m => m.ServerNames.Count == 0, m => ServerNameScore(m, connection.ServerName));
        chains = Narrow(chains, m => m.TransportProtocol.Length == 0, m => m.TransportProtocol == connection.TransportProtocol ? 0 : null);
        chains = Narrow(chains, m => m.ApplicationProtocols.Count == 0, m => ApplicationProtocolScore(m, connection.ApplicationProtocols));

        // No listener filter here rewrites the source (PROXY protocol), so the directly connected
        // source is the source.
        chains = Narrow(chains, m => m.DirectSourcePrefixRanges.Count == 0, m => Cidr.LongestMatch(m.DirectSourcePrefixRanges, connection.SourceAddress));
        chains = Narrow(chains, m => m.SourceType == FilterChainMatch.Types.ConnectionSourceType.Any, m => SourceTypeMatches(m.SourceType, connection) ? 0 : null);
        chains = Narrow(chains, m => m.SourcePrefixRanges.Count == 0, m => Cidr.LongestMatch(m.SourcePrefixRanges, connection.SourceAddress));
        chains = Narrow(chains, m => m.SourcePorts.Count == 0, m => m.SourcePorts.Contains((uint)connection.SourcePort) ? 0 : null);

        if (chains.Count > 1)
        {
            ambiguity = $"listener {listener.Name} has filter chains {string.Join(", ", chains.Select(c => $"'{c.Name}'"))} matching the connection alike; Envoy rejects such a listener";
            return null;
        }

        return chains.Count == 1 ? chains[0] : listener.DefaultFilterChain;
    }

    /// <summary>
    /// Why Envoy refuses <paramref name="listener"/> whatever the connection, or null: two of its
    /// filter chains share a combination of matching values ("multiple filter chains with
    /// overlapping matching rules are defined"). Envoy builds a tree over the criteria with each
    /// list expanded (every prefix range with every server name, and so on; a prefix is taken with
    /// its host bits cleared), and refuses the listener when a leaf is reached by two chains.
    /// </summary>
    public static string? Overlap(Listener listener)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < listener.FilterChains.Count; i++)
        {
            var chain = listener.FilterChains[i];
            var label = chain.Name.Length > 0 ? $"'{chain.Name}'" : $"#{i}";
            foreach (var leaf in Leaves(chain.FilterChainMatch ?? s_empty))
            {
                if (!owners.TryAdd(leaf, label))
                {
                    return $"listener {listener.Name} has filter chains {owners[leaf]}, {label} with overlapping matching rules ({leaf}); Envoy rejects such a listener";
                }
            }
        }

        return null;
    }

    private static IEnumerable<string> Leaves(FilterChainMatch match)
    {
        static IReadOnlyList<string> OrAny(IEnumerable<string> values)
        {
            var list = values.Distinct(StringComparer.Ordinal).ToList();
            return list.Count == 0 ? ["*"] : list;
        }

        static string Prefix(Envoy.Config.Core.V3.CidrRange range)
        {
            var bytes = IPAddress.Parse(range.AddressPrefix).GetAddressBytes();
            var length = (int)(range.PrefixLen ?? 0);
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] &= (byte)(0xFF << (8 - Math.Clamp(length - (i * 8), 0, 8)));
            }

            return $"{new IPAddress(bytes)}/{length}";
        }

        var ports = OrAny(match.DestinationPort is { } port ? [$"port {port}"] : []);
        var prefixes = OrAny(match.PrefixRanges.Select(Prefix));
        var names = OrAny(match.ServerNames.Select(n => n.ToLowerInvariant()));
        var alpn = OrAny(match.ApplicationProtocols);
        var direct = OrAny(match.DirectSourcePrefixRanges.Select(Prefix));
        var sources = OrAny(match.SourcePrefixRanges.Select(Prefix));
        var sourcePorts = OrAny(match.SourcePorts.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return
            from p in ports
            from prefix in prefixes
            from name in names
            from a in alpn
            from d in direct
            from source in sources
            from sourcePort in sourcePorts
            select $"{p} dst {prefix} sni {name} transport {(match.TransportProtocol.Length == 0 ? "*" : match.TransportProtocol)} alpn {a} direct {d} {match.SourceType} src {source}:{sourcePort}";
    }

    private static List<FilterChain> Narrow(List<FilterChain> chains, Func<FilterChainMatch, bool> unset, Func<FilterChainMatch, int?> score)
    {
        var best = int.MinValue;
        var winners = new List<FilterChain>();
        foreach (var chain in chains)
        {
            var match = chain.FilterChainMatch ?? s_empty;
            if (unset(match) || score(match) is not int value)
            {
                continue;
            }

            if (value > best)
            {
                winners.Clear();
                best = value;
            }

            if (value == best)
            {
                winners.Add(chain);
            }
        }

        return winners.Count > 0 ? winners : chains.Where(c => unset(c.FilterChainMatch ?? s_empty)).ToList();
    }

    /// <summary>An exact server name outranks every wildcard; a longer wildcard (<c>*.example.com</c>) outranks a shorter one (<c>*.com</c>).</summary>
    private static int? ServerNameScore(FilterChainMatch match, string? serverName)
    {
        if (string.IsNullOrEmpty(serverName))
        {
            return null;
        }

        int? best = null;
        foreach (var name in match.ServerNames)
        {
            if (string.Equals(name, serverName, StringComparison.OrdinalIgnoreCase))
            {
                return int.MaxValue;
            }

            if (name.StartsWith("*.", StringComparison.Ordinal)
                && serverName.Length > name.Length - 1
                && serverName.EndsWith(name[1..], StringComparison.OrdinalIgnoreCase)
                && (best is null || name.Length > best))
            {
                best = name.Length;
            }
        }

        return best;
    }

    /// <summary>The connection's ALPN values are tried in its order of preference: an earlier one wins.</summary>
    private static int? ApplicationProtocolScore(FilterChainMatch match, IReadOnlyList<string> protocols)
    {
        for (var i = 0; i < protocols.Count; i++)
        {
            if (match.ApplicationProtocols.Contains(protocols[i]))
            {
                return -i;
            }
        }

        return null;
    }

    private static bool SourceTypeMatches(FilterChainMatch.Types.ConnectionSourceType type, Connection connection)
    {
        var local = IPAddress.TryParse(connection.SourceAddress, out var source)
            && (IPAddress.IsLoopback(source) || connection.SourceAddress == connection.DestinationAddress);
        return type == FilterChainMatch.Types.ConnectionSourceType.SameIpOrLoopback ? local : !local;
    }
}
