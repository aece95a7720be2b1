using System.Globalization;
using System.Text.Json;
using Mesh.Orleans.Cli.Output;

namespace Mesh.Orleans.Cli.ConfigDump;

/// <summary>
/// <c>istioctl proxy-config route</c>'s table (its default, verbose form): one row per route
/// of each virtual host, with the VirtualService that made it when the route says so; a
/// virtual host without routes shows <c>/*</c> and <c>404</c>; routes to PassthroughCluster
/// are left out. Route configurations named by a port number come first, by number.
/// </summary>
internal static class RouteTable
{
    /// <summary>Writes the table of <paramref name="routeConfigs"/>.</summary>
    public static void Write(IEnumerable<JsonElement> routeConfigs, TextWriter output)
    {
        var table = new TableWriter(padding: 5);
        table.Add("NAME", "VHOST NAME", "DOMAINS", "MATCH", "VIRTUAL SERVICE");
        var ordered = routeConfigs
            .Select((r, i) => (Config: r, Index: i, Port: int.TryParse(r.Text("name"), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : (int?)null))
            .OrderBy(r => r.Port is null ? 1 : 0)
            .ThenBy(r => r.Port ?? 0)
            .ThenBy(r => r.Index);
        foreach (var (config, _, _) in ordered)
        {
            var name = config.Text("name");
            foreach (var host in config.Items("virtual_hosts"))
            {
                var hostName = host.Text("name");
                var domains = RouteDescriptions.Domains(host.Strings("domains"));
                var routes = host.Items("routes").ToList();
                foreach (var route in routes.Where(r => r.Text("route", "cluster") != RouteDescriptions.PassthroughCluster))
                {
                    table.Add(name, hostName, domains, RouteDescriptions.Match(route.Field("match") ?? default), IstioMetadata.Describe(route));
                }

                if (routes.Count == 0)
                {
                    table.Add(name, hostName, domains, "/*", "404");
                }
            }
        }

        table.WriteTo(output);
    }
}
