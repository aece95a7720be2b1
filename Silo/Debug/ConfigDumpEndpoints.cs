using Google.Protobuf;
using Mesh.Orleans.Grains.Translation;
using Mesh.Orleans.Xds.Frontend;
using Mesh.Orleans.Xds.Frontend.Debug;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Silo.Debug;

/// <summary>
/// <c>GET /debug/config_dump?proxyID=&lt;id&gt;[&amp;include_eds]</c>, as istiod serves it: the proxy's
/// configuration as this frontend sent it (<see cref="ConfigDumps"/>), as the JSON Envoy's admin
/// <c>/config_dump</c> writes (<c>{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.ClustersConfigDump",...}]}</c>,
/// proto field names), so istioctl's <c>proxy-config ... -f</c> reads it. <c>proxyID</c> is a node id
/// or a part of one (<c>&lt;pod&gt;.&lt;ns&gt;</c>). 400 without it, 404 for a proxy not connected here,
/// 503 when its stream does not answer in time. Secrets are named, never carried.
/// </summary>
public static class ConfigDumpEndpoints
{
    // Every message of the project's Envoy protos (the admin dumps among them), so each Any shows its @type and contents.
    private static readonly JsonFormatter s_json = new(JsonFormatter.Settings.Default
        .WithTypeRegistry(EnvoyPatchValues.Registry)
        .WithPreserveProtoFieldNames(true));

    /// <summary>Maps <c>/debug/config_dump</c> (a frontend's: it dumps the proxies connected to this process).</summary>
    public static IEndpointRouteBuilder MapConfigDump(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/debug/config_dump", async (HttpContext http, StreamRegistry registry, IOptions<XdsFrontendOptions> options, TimeProvider time, CancellationToken cancellationToken) =>
        {
            var proxyId = http.Request.Query["proxyID"].ToString();
            if (proxyId.Length == 0)
            {
                return Results.Text("You must provide a proxyID in the query string\n", statusCode: StatusCodes.Status400BadRequest);
            }

            var dumps = new ConfigDumps(registry, options.Value.MaxNameLength, time);
            if (dumps.FindNode(proxyId) is not { } nodeId)
            {
                return Results.Text("Proxy not connected to this control plane instance. It may be connected to another instance.\n", statusCode: StatusCodes.Status404NotFound);
            }

            try
            {
                var dump = await dumps.DumpAsync(nodeId, http.Request.Query.ContainsKey("include_eds"), cancellationToken);
                return dump is null
                    ? Results.Text("Proxy not connected to this control plane instance. It may be connected to another instance.\n", statusCode: StatusCodes.Status404NotFound)
                    : Results.Text(s_json.Format(dump), "application/json");
            }
            catch (TimeoutException timeout)
            {
                return Results.Text(timeout.Message + "\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
        return endpoints;
    }
}
