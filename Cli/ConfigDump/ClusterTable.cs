using System.Globalization;
using System.Text.Json;
using Mesh.Orleans.Cli.Output;

namespace Mesh.Orleans.Cli.ConfigDump;

/// <summary>
/// <c>istioctl proxy-config cluster</c>'s table: a cluster named Istio's way,
/// <c>outbound|&lt;port&gt;|&lt;subset&gt;|&lt;host&gt;</c> (or <c>inbound|...</c>), is shown as its
/// host, port, subset (<c>-</c> for none) and direction; any other name (BlackHoleCluster, a
/// proxyless client's cluster) as itself with <c>-</c> for the rest. Sorted by host, subset,
/// port and direction, as istioctl sorts.
/// </summary>
internal static class ClusterTable
{
    // envoy.config.cluster.v3.Cluster.DiscoveryType, for a dump that prints enums as numbers.
    private static readonly string[] s_discoveryTypes = ["STATIC", "STRICT_DNS", "LOGICAL_DNS", "EDS", "ORIGINAL_DST"];

    /// <summary>Writes the table of <paramref name="clusters"/>.</summary>
    public static void Write(IEnumerable<JsonElement> clusters, TextWriter output)
    {
        var rows = clusters.Select(c =>
        {
            var name = c.Text("name");
            var parts = name.Split('|');
            var parsed = parts.Length > 3;
            var port = parsed && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : 0;
            return new Row(
                parsed ? parts[3] : name,
                port,
                parsed ? parts[2] : string.Empty,
                parsed ? parts[0] : string.Empty,
                parsed,
                TypeOf(c),
                IstioMetadata.Describe(c));
        })
            .OrderBy(r => r.Host, StringComparer.Ordinal)
            .ThenBy(r => r.Subset, StringComparer.Ordinal)
            .ThenBy(r => r.Port)
            .ThenBy(r => r.Direction, StringComparer.Ordinal);

        var table = new TableWriter(padding: 5);
        table.Add("SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION RULE");
        foreach (var row in rows)
        {
            if (row.Parsed)
            {
                table.Add(row.Host, row.Port.ToString(CultureInfo.InvariantCulture), row.Subset.Length == 0 ? "-" : row.Subset, row.Direction, row.Type, row.DestinationRule);
            }
            else
            {
                table.Add(row.Host, "-", "-", "-", row.Type, row.DestinationRule);
            }
        }

        table.WriteTo(output);
    }

    /// <summary>
    /// The cluster's discovery type; STATIC when unset (proto3 JSON leaves the default out) or
    /// when the cluster has a custom <c>cluster_type</c>, as Go's <c>GetType()</c> answers.
    /// </summary>
    private static string TypeOf(JsonElement cluster)
    {
        var type = cluster.Field("type");
        return type?.ValueKind switch
        {
            JsonValueKind.String => type.Value.GetString()!,
            JsonValueKind.Number when type.Value.TryGetInt32(out var n) && n >= 0 && n < s_discoveryTypes.Length => s_discoveryTypes[n],
            _ => "STATIC",
        };
    }

    private sealed record Row(string Host, int Port, string Subset, string Direction, bool Parsed, string Type, string DestinationRule);
}
