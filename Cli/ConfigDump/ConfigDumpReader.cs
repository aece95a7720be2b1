using System.Text.Json;
using Mesh.Orleans.Cli.Output;

namespace Mesh.Orleans.Cli.ConfigDump;

/// <summary>
/// Finds the resources of one type in an Envoy admin <c>ConfigDump</c> (envoy/admin/v3/config_dump.proto):
/// <c>{"configs":[Any...]}</c> where each Any is one of the <c>*ConfigDump</c> messages of
/// config_dump_shared.proto, told apart by its <c>@type</c>. Read as plain JSON, so that what
/// a control plane adds or leaves out (bootstrap, secrets, ECDS) changes nothing here.
/// </summary>
internal static class ConfigDumpReader
{
    /// <summary>
    /// The <c>configs</c> of <paramref name="dump"/>; a <see cref="CliException"/> naming
    /// <paramref name="url"/> when the answer is not a config dump.
    /// </summary>
    public static List<JsonElement> Configs(JsonElement dump, string url)
    {
        if (dump.Field("configs") is not { ValueKind: JsonValueKind.Array } configs)
        {
            throw new CliException($"{url} did not answer an Envoy config dump (a JSON object with a \"configs\" list)");
        }

        return configs.EnumerateArray().Where(c => c.ValueKind == JsonValueKind.Object).ToList();
    }

    /// <summary>
    /// The dump message whose <c>@type</c> is <c>type.googleapis.com/envoy.admin.v3.<paramref name="message"/></c>
    /// (any version of the admin API), or null when the dump has none.
    /// </summary>
    public static JsonElement? Section(IEnumerable<JsonElement> configs, string message)
    {
        ArgumentNullException.ThrowIfNull(configs);
        foreach (var config in configs)
        {
            var type = config.Text("@type");
            if (type.EndsWith("." + message, StringComparison.Ordinal))
            {
                return config;
            }
        }

        return null;
    }

    /// <summary>ClustersConfigDump: <c>dynamic_active_clusters[].cluster</c>, then <c>static_clusters[].cluster</c>.</summary>
    public static List<JsonElement>? Clusters(IEnumerable<JsonElement> configs) =>
        Section(configs, "ClustersConfigDump") is { } section
            ? Unwrap(section, ("dynamic_active_clusters", "cluster"), ("static_clusters", "cluster"))
            : null;

    /// <summary>ListenersConfigDump: <c>dynamic_listeners[].active_state.listener</c>, then <c>static_listeners[].listener</c>.</summary>
    public static List<JsonElement>? Listeners(IEnumerable<JsonElement> configs)
    {
        if (Section(configs, "ListenersConfigDump") is not { } section)
        {
            return null;
        }

        var listeners = section.Items("dynamic_listeners")
            .Select(l => l.Path("active_state", "listener"))
            .Concat(section.Items("static_listeners").Select(l => l.Field("listener")));
        return listeners.Where(l => l is { ValueKind: JsonValueKind.Object }).Select(l => l!.Value).ToList();
    }

    /// <summary>RoutesConfigDump: <c>dynamic_route_configs[].route_config</c>, then <c>static_route_configs[].route_config</c>.</summary>
    public static List<JsonElement>? Routes(IEnumerable<JsonElement> configs) =>
        Section(configs, "RoutesConfigDump") is { } section
            ? Unwrap(section, ("dynamic_route_configs", "route_config"), ("static_route_configs", "route_config"))
            : null;

    /// <summary>EndpointsConfigDump: <c>dynamic_endpoint_configs[].endpoint_config</c>, then <c>static_endpoint_configs[].endpoint_config</c>.</summary>
    public static List<JsonElement>? Endpoints(IEnumerable<JsonElement> configs) =>
        Section(configs, "EndpointsConfigDump") is { } section
            ? Unwrap(section, ("dynamic_endpoint_configs", "endpoint_config"), ("static_endpoint_configs", "endpoint_config"))
            : null;

    private static List<JsonElement> Unwrap(JsonElement section, params (string List, string Field)[] lists) =>
        lists.SelectMany(l => section.Items(l.List).Select(item => item.Field(l.Field)))
            .Where(r => r is { ValueKind: JsonValueKind.Object })
            .Select(r => r!.Value)
            .ToList();
}
