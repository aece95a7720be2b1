using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Mesh.Orleans.Cli.Output;
using Mesh.Orleans.Grains.Interfaces;

namespace Mesh.Orleans.Cli.Commands;

/// <summary>
/// <c>mesh proxy-status [--debug URL] [-o table|json]</c>: the proxies connected to a frontend
/// and, per xDS type, whether each has what it was last sent, in istioctl's columns
/// (<c>NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD VERSION</c>) and words. Read from the
/// frontend's <c>/debug/syncz</c> and derived as istiod's <c>debugSyncStatus</c> derives them:
/// a NACK of the last response is <c>ERROR</c>, nothing sent yet <c>NOT SENT</c>, the last
/// response ACKed <c>SYNCED</c>, sent but not ACKed <c>STALE</c>, and a type the proxy never
/// asked for <c>IGNORED</c>.
/// </summary>
internal static class ProxyStatusCommand
{
    /// <summary>The type URL of each status column, in istioctl's order.</summary>
    public static readonly (string Column, string TypeUrl)[] Columns =
    [
        ("CDS", "type.googleapis.com/envoy.config.cluster.v3.Cluster"),
        ("LDS", "type.googleapis.com/envoy.config.listener.v3.Listener"),
        ("EDS", "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"),
        ("RDS", "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"),
        ("ECDS", "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig"),
    ];

    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The <c>proxy-status</c> command, printing to <paramref name="output"/>.</summary>
    public static Command Create(TextWriter output)
    {
        var debug = new Option<string>("--debug") { Description = "The control plane's debug port URL", DefaultValueFactory = _ => DebugClient.DefaultUrl };
        var format = new Option<string>("--output", "-o") { Description = "table: istioctl's table; json: the /debug/syncz document", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var command = new Command("proxy-status", "Shows each connected proxy's xDS sync status, as istioctl proxy-status does") { debug, format };
        command.Aliases.Add("ps");
        command.SetAction((parsed, cancellationToken) => RunAsync(parsed.GetValue(debug)!, parsed.GetValue(format) == "json", output, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string url, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        using var client = DebugClient.Create(url);
        using var syncz = await client.GetJsonAsync("/debug/syncz", cancellationToken);
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(syncz.RootElement, s_indented));
            return ExitCodes.Ok;
        }

        if (syncz.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new CliException($"{client.UrlOf("/debug/syncz")} did not answer a list of proxies");
        }

        var table = new TableWriter(padding: 5);
        table.Add(["NAME", "CLUSTER", .. Columns.Select(c => c.Column), "ISTIOD", "VERSION"]);
        var controlPlane = client.BaseUrl.Authority;
        foreach (var proxy in syncz.RootElement.EnumerateArray().Where(p => p.ValueKind == JsonValueKind.Object).OrderBy(NameOf, StringComparer.Ordinal))
        {
            var types = proxy.Items("types").ToList();
            table.Add([
                DebugClient.Printable(NameOf(proxy)),
                DebugClient.Printable(ClusterOf(proxy)),
                .. Columns.Select(c => StatusOf(types, c.TypeUrl)),
                controlPlane,
                DebugClient.Printable(VersionOf(proxy)),
            ]);
        }

        table.WriteTo(output);
        return ExitCodes.Ok;
    }

    private static string NameOf(JsonElement proxy) => proxy.Text("nodeId") is { Length: > 0 } id ? id : proxy.Text("node", "id");

    /// <summary>The member cluster the proxy says it is in (node metadata <c>CLUSTER_ID</c>), else the one the control plane assumes.</summary>
    private static string ClusterOf(JsonElement proxy) =>
        proxy.Text("node", "identity", "memberClusterId") is { Length: > 0 } cluster ? cluster : MeshNames.DefaultClusterId;

    /// <summary>The proxy's version: a <c>proxyVersion</c> when the page carries one, else the version in its user agent.</summary>
    private static string VersionOf(JsonElement proxy)
    {
        if (proxy.Text("proxyVersion") is { Length: > 0 } version)
        {
            return version;
        }

        // "<name> <version>", and names have spaces ("gRPC Go 1.68.0").
        var agent = proxy.Text("node", "userAgent").Trim();
        var space = agent.LastIndexOf(' ');
        return space < 0 ? string.Empty : agent[(space + 1)..];
    }

    /// <summary>
    /// One type's cell, from the newest state any of the proxy's streams has of it (a proxy
    /// reconnecting may have two streams for a moment).
    /// </summary>
    public static string StatusOf(IEnumerable<JsonElement> types, string typeUrl)
    {
        ArgumentNullException.ThrowIfNull(types);
        var state = types
            .Where(t => t.Text("typeUrl") == typeUrl)
            .OrderBy(t => t.Field("lastChange") is { ValueKind: JsonValueKind.String } at && at.TryGetDateTimeOffset(out var when) ? when : DateTimeOffset.MinValue)
            .LastOrDefault();
        if (state.ValueKind != JsonValueKind.Object)
        {
            return "IGNORED";
        }

        var sent = state.Text("sent");
        if (state.Text("status") == "NACKED" || (sent.Length > 0 && state.Text("nacked") == sent))
        {
            return "ERROR";
        }

        return sent.Length == 0 ? "NOT SENT" : state.Text("status") == "ACKED" || state.Text("acked") == sent ? "SYNCED" : "STALE";
    }
}
