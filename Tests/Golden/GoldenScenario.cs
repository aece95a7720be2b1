using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Tests.Golden;

/// <summary>
/// One golden scenario: a folder under <c>Tests/Golden</c> holding <c>input.yaml</c> (what the mesh
/// is given), <c>expected/*.json</c> (what a proxy must be sent) and, optionally,
/// <c>scenario.json</c> (who asks, and the control plane's settings).
/// </summary>
/// <remarks>
/// The expected files are named by type: <c>clusters.json</c>, <c>endpoints.json</c>,
/// <c>listeners.json</c>, <c>routes.json</c>, each a JSON array of resources in protobuf's JSON
/// mapping with Envoy's field names. A resource is found by its <c>name</c> (<c>cluster_name</c>
/// for endpoints) and compared whole; resources the files do not name are not compared.
/// <c>scenario.json</c> may hold <c>node</c> (the node id; by default a sidecar of a client pod,
/// <c>sleep</c>, that is no endpoint of the scenario), <c>namespace</c> (its <c>NAMESPACE</c>
/// metadata, default <c>bookinfo</c>), <c>labels</c> (its <c>LABELS</c> metadata, e.g. a gateway's) and <c>settings</c> (control-plane settings by key, e.g.
/// <c>Mesh:Traffic:OutboundTrafficPolicy</c>).
/// </remarks>
public sealed record GoldenScenario(
    string Name,
    string InputYaml,
    string NodeId,
    string Namespace,
    IReadOnlyDictionary<string, string?> Settings,
    IReadOnlyList<GoldenResource> Expected,
    IReadOnlyDictionary<string, string>? Labels = null)
{
    /// <summary>The folder every scenario sits in, as copied beside the test assembly.</summary>
    public static string Root => Path.Combine(AppContext.BaseDirectory, "Golden");

    /// <summary>The node id a scenario's proxy announces unless its <c>scenario.json</c> says otherwise.</summary>
    public const string DefaultNodeId = "sidecar~127.1.0.100~sleep-0.bookinfo~bookinfo.svc.cluster.local";

    /// <summary>The expected file of each served type.</summary>
    public static IReadOnlyDictionary<string, string> FileOfType { get; } = new Dictionary<string, string>
    {
        [TypeUrls.Cluster] = "clusters.json",
        [TypeUrls.ClusterLoadAssignment] = "endpoints.json",
        [TypeUrls.Listener] = "listeners.json",
        [TypeUrls.RouteConfiguration] = "routes.json",
    };

    /// <summary>The names of every scenario folder, in order.</summary>
    public static IReadOnlyList<string> Names() =>
        Directory.GetDirectories(Root)
            .Where(d => File.Exists(Path.Combine(d, "input.yaml")))
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Reads the scenario in the folder <paramref name="name"/>; a malformed file throws naming it.</summary>
    public static GoldenScenario Load(string name)
    {
        var folder = Path.Combine(Root, name);
        var input = File.ReadAllText(Path.Combine(folder, "input.yaml"));
        var nodeId = DefaultNodeId;
        var ns = "bookinfo";
        var settings = new Dictionary<string, string?>();
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var scenarioFile = Path.Combine(folder, "scenario.json");
        if (File.Exists(scenarioFile))
        {
            var scenario = Parse(scenarioFile) as JsonObject ?? throw new InvalidDataException($"{scenarioFile}: not a JSON object");
            nodeId = (string?)scenario["node"] ?? nodeId;
            ns = (string?)scenario["namespace"] ?? ns;
            foreach (var (key, value) in scenario["settings"] as JsonObject ?? [])
            {
                settings[key] = (string?)value;
            }

            foreach (var (key, value) in scenario["labels"] as JsonObject ?? [])
            {
                labels[key] = (string?)value ?? throw new InvalidDataException($"{scenarioFile}: label {key} is not a string");
            }
        }

        var expected = new List<GoldenResource>();
        var known = FileOfType.ToDictionary(p => p.Value, p => p.Key);
        foreach (var file in Directory.GetFiles(Path.Combine(folder, "expected"), "*.json").Order(StringComparer.Ordinal))
        {
            var fileName = Path.GetFileName(file);
            if (!known.TryGetValue(fileName, out var typeUrl))
            {
                throw new InvalidDataException($"{file}: expected files are named {string.Join(", ", known.Keys)}");
            }

            var resources = Parse(file) as JsonArray ?? throw new InvalidDataException($"{file}: not a JSON array of resources");
            var nameField = EnvoyJson.NameField(typeUrl);
            foreach (var (resource, index) in resources.Select((r, i) => (r, i)))
            {
                var resourceName = (resource as JsonObject)?[nameField]?.GetValue<string>()
                    ?? throw new InvalidDataException($"{file}: entry {index} has no \"{nameField}\"");
                expected.Add(new GoldenResource(fileName, typeUrl, resourceName, resource!));
            }
        }

        if (expected.Count == 0)
        {
            throw new InvalidDataException($"{folder}: no expected resources");
        }

        return new GoldenScenario(name, input, nodeId, ns, settings, expected, labels);
    }

    private static JsonNode? Parse(string file)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(file), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"{file}: {exception.Message}", exception);
        }
    }

    /// <summary>The node metadata a sidecar of the scenario announces.</summary>
    public Struct Metadata()
    {
        var metadata = new Struct();
        metadata.Fields["NAMESPACE"] = Value.ForString(Namespace);
        if (Labels is { Count: > 0 })
        {
            var labels = new Struct();
            foreach (var (key, value) in Labels)
            {
                labels.Fields[key] = Value.ForString(value);
            }

            metadata.Fields["LABELS"] = Value.ForStruct(labels);
        }

        return metadata;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
