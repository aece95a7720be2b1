using Envoy.Config.Route.V3;

namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>
/// Envoy's virtual host selection (VirtualHost <c>domains</c>): the Host is lower-cased and
/// looked up as an exact domain, then among suffix wildcards (<c>*.foo.com</c>, <c>*-bar.foo.com</c>),
/// then prefix wildcards (<c>foo.*</c>), the longest wildcard first in each, then the virtual
/// host with <c>*</c>. A wildcard never matches the empty string. The port is part of the Host
/// unless the connection manager strips it or the RouteConfiguration ignores it.
/// </summary>
internal static class VirtualHostMatcher
{
    /// <summary>
    /// The problem that makes Envoy reject <paramref name="configuration"/>'s virtual hosts, or
    /// null: a virtual host without domains, or a domain (case-insensitively) on two of them.
    /// </summary>
    public static string? Validate(RouteConfiguration configuration)
    {
        var owner = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var host in configuration.VirtualHosts)
        {
            if (host.Domains.Count == 0)
            {
                return $"virtual host '{host.Name}' of RouteConfiguration '{configuration.Name}' has no domains";
            }

            foreach (var domain in host.Domains)
            {
                if (!owner.TryAdd(domain, host.Name))
                {
                    return $"domain '{domain}' is on virtual hosts '{owner[domain]}' and '{host.Name}' of RouteConfiguration '{configuration.Name}'; Envoy requires domains unique across a RouteConfiguration";
                }
            }
        }

        return null;
    }

    /// <summary>The virtual host of <paramref name="configuration"/> that answers to <paramref name="host"/>, or null.</summary>
    public static VirtualHost? Match(RouteConfiguration configuration, string host)
    {
        host = host.ToLowerInvariant();
        if (configuration.IgnorePortInHostMatching)
        {
            host = HostHeader.StripPort(host);
        }

        foreach (var virtualHost in configuration.VirtualHosts)
        {
            if (virtualHost.Domains.Any(d => d.ToLowerInvariant() == host))
            {
                return virtualHost;
            }
        }

        return Longest(configuration, host, d => d.Length > 1 && d[0] == '*', (d, h) => h.EndsWith(d[1..], StringComparison.Ordinal))
            ?? Longest(configuration, host, d => d.Length > 1 && d[^1] == '*', (d, h) => h.StartsWith(d[..^1], StringComparison.Ordinal))
            ?? configuration.VirtualHosts.FirstOrDefault(v => v.Domains.Contains("*"));
    }

    private static VirtualHost? Longest(RouteConfiguration configuration, string host, Func<string, bool> isKind, Func<string, string, bool> matches)
    {
        VirtualHost? best = null;
        var longest = 0;
        foreach (var virtualHost in configuration.VirtualHosts)
        {
            foreach (var domain in virtualHost.Domains.Select(d => d.ToLowerInvariant()))
            {
                // The wildcard stands for at least one character: *.foo.com does not match .foo.com.
                if (isKind(domain) && host.Length >= domain.Length && matches(domain, host) && domain.Length > longest)
                {
                    best = virtualHost;
                    longest = domain.Length;
                }
            }
        }

        return best;
    }
}
