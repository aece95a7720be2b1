using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Mesh.Orleans.Cli.ConfigDump;
using Mesh.Orleans.Cli.Output;

namespace Mesh.Orleans.Cli.Commands;

/// <summary>
/// <c>mesh proxy-config cluster|listener|route|endpoint PROXY [--debug URL] [-o table|json|yaml]</c>:
/// what the control plane sends one proxy, read from <c>/debug/config_dump?proxyID=PROXY</c>
/// (Envoy's admin ConfigDump, as istiod's debug port answers it) and printed in istioctl
/// proxy-config's tables; <c>-o json</c> prints the resources themselves, <c>-o yaml</c> the
/// same as YAML. istioctl reads these from the proxy's own admin port; here they come from the
/// control plane, so no port-forward to a pod is needed.
/// </summary>
internal static class ProxyConfigCommand
{
    private static readonly JsonWriterOptions s_indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The <c>proxy-config</c> command with one subcommand per resource type, printing to <paramref name="output"/>.</summary>
    public static Command Create(TextWriter output)
    {
        var debug = new Option<string>("--debug") { Description = "The control plane's debug port URL", DefaultValueFactory = _ => DebugClient.DefaultUrl, Recursive = true };
        var format = new Option<string>("--output", "-o") { Description = "table, json or yaml", DefaultValueFactory = _ => "table", Recursive = true };
        format.AcceptOnlyFromAmong("table", "json", "yaml");
        var command = new Command("proxy-config", "Shows the clusters, listeners, routes or endpoints the control plane sends a proxy, as istioctl proxy-config does") { debug, format };
        command.Aliases.Add("pc");
        command.Add(Subcommand("cluster", "clusters", "the proxy's clusters (CDS)", ConfigDumpReader.Clusters, ClusterTable.Write, withEndpoints: false, debug, format, output));
        command.Add(Subcommand("listener", "listeners", "the proxy's listeners (LDS)", ConfigDumpReader.Listeners, ListenerTable.Write, withEndpoints: false, debug, format, output));
        command.Add(Subcommand("route", "routes", "the proxy's route configurations (RDS)", ConfigDumpReader.Routes, RouteTable.Write, withEndpoints: false, debug, format, output));
        command.Add(Subcommand("endpoint", "endpoints", "the proxy's endpoints (EDS)", ConfigDumpReader.Endpoints, EndpointTable.Write, withEndpoints: true, debug, format, output));
        return command;
    }

    private static Command Subcommand(
        string name,
        string plural,
        string what,
        Func<IEnumerable<JsonElement>, List<JsonElement>?> select,
        Action<IEnumerable<JsonElement>, TextWriter> table,
        bool withEndpoints,
        Option<string> debug,
        Option<string> format,
        TextWriter output)
    {
        var proxy = new Argument<string>("PROXY") { Description = "The proxy's node id, or the part of it that names it (<pod>.<namespace>)" };
        var command = new Command(name, "Shows " + what) { proxy };
        command.Aliases.Add(plural);
        command.SetAction(async (parsed, cancellationToken) =>
        {
            using var client = DebugClient.Create(parsed.GetValue(debug));
            var id = parsed.GetValue(proxy)!;
            var path = $"/debug/config_dump?proxyID={Uri.EscapeDataString(id)}{(withEndpoints ? "&include_eds=true" : string.Empty)}";
            using var dump = await client.GetJsonAsync(path, cancellationToken);
            var resources = select(ConfigDumpReader.Configs(dump.RootElement, client.UrlOf(path)))
                ?? throw new CliException($"the config dump of {DebugClient.Printable(id)} has no {plural} ({client.UrlOf(path)})");
            if (resources.Count == 0)
            {
                throw new CliException($"no {plural} found for {DebugClient.Printable(id)}");
            }

            switch (parsed.GetValue(format))
            {
                case "json":
                    await output.WriteLineAsync(ResourcesJson(resources));
                    break;
                case "yaml":
                    using (var document = JsonDocument.Parse(ResourcesJson(resources)))
                    {
                        await output.WriteAsync(JsonYaml.ToYaml(document.RootElement));
                    }

                    break;
                default:
                    table(resources, output);
                    break;
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The resources as a JSON array, each without the <c>@type</c> of the Any that carried it (as istioctl prints them).</summary>
    private static string ResourcesJson(IEnumerable<JsonElement> resources)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_indented))
        {
            writer.WriteStartArray();
            foreach (var resource in resources)
            {
                writer.WriteStartObject();
                foreach (var property in resource.EnumerateObject().Where(p => p.Name != "@type"))
                {
                    property.WriteTo(writer);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
