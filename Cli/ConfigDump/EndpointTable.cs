using System.Globalization;
using System.Text.Json;
using Mesh.Orleans.Cli.Output;

namespace Mesh.Orleans.Cli.ConfigDump;

/// <summary>
/// <c>istioctl proxy-config endpoint</c>'s table, from the ClusterLoadAssignments the control
/// plane sent (istioctl reads Envoy's <c>/clusters</c> instead): one row per endpoint with its
/// address, its EDS health status as Envoy reports it (an endpoint sent without a status,
/// UNKNOWN, is used as healthy and shown HEALTHY, as Envoy's admin shows it), <c>OK</c> for the
/// outlier check (only Envoy knows whether one failed) and its cluster. Sorted by address,
/// port and cluster.
/// </summary>
internal static class EndpointTable
{
    // envoy.config.core.v3.HealthStatus, for a dump that prints enums as numbers.
    private static readonly string[] s_healthStatuses = ["UNKNOWN", "HEALTHY", "UNHEALTHY", "DRAINING", "TIMEOUT", "DEGRADED"];

    /// <summary>Writes the table of <paramref name="loadAssignments"/>.</summary>
    public static void Write(IEnumerable<JsonElement> loadAssignments, TextWriter output)
    {
        var rows = new List<(string Address, long Port, string Status, string Cluster)>();
        foreach (var assignment in loadAssignments)
        {
            var cluster = assignment.Text("cluster_name");
            foreach (var endpoint in assignment.Items("endpoints").SelectMany(l => l.Items("lb_endpoints")))
            {
                var (address, port) = AddressOf(endpoint.Path("endpoint", "address") ?? default);
                rows.Add((address, port, StatusOf(endpoint), cluster));
            }
        }

        var table = new TableWriter(padding: 5);
        table.Add("ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER");
        foreach (var row in rows.OrderBy(r => r.Address, StringComparer.Ordinal).ThenBy(r => r.Port).ThenBy(r => r.Cluster, StringComparer.Ordinal))
        {
            table.Add(row.Port != 0 ? $"{row.Address}:{row.Port.ToString(CultureInfo.InvariantCulture)}" : row.Address, row.Status, "OK", row.Cluster);
        }

        table.WriteTo(output);
    }

    private static (string Address, long Port) AddressOf(JsonElement address)
    {
        if (address.Field("socket_address") is { } socket)
        {
            return (socket.Text("address"), socket.Number("port_value") ?? 0);
        }

        if (address.Text("pipe", "path") is { Length: > 0 } path)
        {
            return ("unix://" + path, 0);
        }

        if (address.Field("envoy_internal_address") is { } internalAddress)
        {
            return ($"envoy://{internalAddress.Text("server_listener_name")}/{internalAddress.Text("endpoint_id")}", 0);
        }

        return ("unknown", 0);
    }

    private static string StatusOf(JsonElement endpoint)
    {
        var status = endpoint.Field("health_status");
        var name = status?.ValueKind switch
        {
            JsonValueKind.String => status.Value.GetString()!,
            JsonValueKind.Number when status.Value.TryGetInt32(out var n) && n >= 0 && n < s_healthStatuses.Length => s_healthStatuses[n],
            _ => "UNKNOWN",
        };
        return name == "UNKNOWN" ? "HEALTHY" : name;
    }
}
