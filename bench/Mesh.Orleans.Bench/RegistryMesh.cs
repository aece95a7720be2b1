using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Mesh.Orleans.Bench;

/// <summary>
/// The registry scenario's mesh: N Services in namespace <c>bench</c>, each with one
/// EndpointSlice of E endpoints, as Kubernetes API objects (for the fake API server) and as
/// YAML (one file per object, or one multi-document file). Service 0 is the hot one whose
/// slice the changes rewrite; a change of generation g moves its first endpoint to an address
/// no other endpoint has.
/// </summary>
/// <remarks>
/// Names are zero-padded to one width, so their ordinal order (the order an API server lists
/// them in) is their index order and the last listed is service N-1. Addresses are in
/// 127.0.0.0/8 and nothing ever dials them.
/// </remarks>
internal sealed class RegistryMesh
{
    public const string Namespace = "bench";

    public const int Port = 8080;

    private readonly string _format;

    public RegistryMesh(int services, int endpoints)
    {
        if ((long)services * endpoints >= 250L * 250 * 254)
        {
            throw new ArgumentOutOfRangeException(nameof(services), "More endpoints than the 127.0.0.0/8 addressing here can number.");
        }

        Services = services;
        Endpoints = endpoints;
        _format = "D" + Math.Max(5, (services - 1).ToString(CultureInfo.InvariantCulture).Length).ToString(CultureInfo.InvariantCulture);
    }

    public int Services { get; }

    public int Endpoints { get; }

    /// <summary>The service whose EndpointSlice changes.</summary>
    public int Hot => 0;

    /// <summary>The service a list returns last.</summary>
    public int Last => Services - 1;

    public string Name(int service) => "svc-" + service.ToString(_format, CultureInfo.InvariantCulture);

    /// <summary>The service's ClusterLoadAssignment (and Cluster) name.</summary>
    public string Cluster(int service) => $"outbound|{Port}||{Name(service)}.{Namespace}.svc.cluster.local";

    public string SliceName(int service) => Name(service) + "-1";

    /// <summary>
    /// Endpoint <paramref name="endpoint"/> of <paramref name="service"/>: every endpoint has its own
    /// address; at a <paramref name="generation"/> above 0 the first one has moved to 127.255.x.y.
    /// </summary>
    public string Address(int service, int endpoint, int generation)
    {
        if (endpoint == 0 && generation > 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"127.255.{(generation / 250 % 250) + 1}.{(generation % 250) + 1}");
        }

        var index = ((long)service * Endpoints) + endpoint;
        return string.Create(CultureInfo.InvariantCulture, $"127.{(index / 62_500) + 1}.{(index / 250 % 250) + 1}.{(index % 250) + 1}");
    }

    /// <summary>The Service as the API server stores it (its defaults filled in).</summary>
    public JsonObject ServiceObject(int service) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = new JsonObject { ["name"] = Name(service), ["namespace"] = Namespace },
        ["spec"] = new JsonObject
        {
            ["type"] = "ClusterIP",
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "grpc", ["port"] = Port, ["protocol"] = "TCP", ["targetPort"] = Port }),
        },
    };

    /// <summary>The EndpointSlice at <paramref name="generation"/>, as the API server stores it.</summary>
    public JsonObject SliceObject(int service, int generation)
    {
        var endpoints = new JsonArray();
        for (var e = 0; e < Endpoints; e++)
        {
            endpoints.Add(new JsonObject
            {
                ["addresses"] = new JsonArray(Address(service, e, generation)),
                ["conditions"] = new JsonObject { ["ready"] = true },
                ["zone"] = Zone(e),
            });
        }

        return new JsonObject
        {
            ["apiVersion"] = "discovery.k8s.io/v1",
            ["kind"] = "EndpointSlice",
            ["metadata"] = new JsonObject
            {
                ["name"] = SliceName(service),
                ["namespace"] = Namespace,
                ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = Name(service) },
            },
            ["addressType"] = "IPv4",
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "grpc", ["port"] = Port, ["protocol"] = "TCP" }),
            ["endpoints"] = endpoints,
        };
    }

    public string ServiceYaml(int service) => string.Create(CultureInfo.InvariantCulture, $"""
        apiVersion: v1
        kind: Service
        metadata: {"{"}name: {Name(service)}, namespace: {Namespace}{"}"}
        spec:
          type: ClusterIP
          ports: [{"{"}name: grpc, port: {Port}, protocol: TCP, targetPort: {Port}{"}"}]

        """);

    public string SliceYaml(int service, int generation)
    {
        var yaml = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"""
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: {SliceName(service)}
              namespace: {Namespace}
              labels: {"{"}kubernetes.io/service-name: {Name(service)}{"}"}
            addressType: IPv4
            ports: [{"{"}name: grpc, port: {Port}, protocol: TCP{"}"}]
            endpoints:

            """));
        for (var e = 0; e < Endpoints; e++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{addresses: [\"{Address(service, e, generation)}\"], conditions: {{ready: true}}, zone: {Zone(e)}}}\n");
        }

        return yaml.ToString();
    }

    /// <summary>Every Service and EndpointSlice as documents of one file; the hot slice at <paramref name="hotGeneration"/>.</summary>
    public string OneFile(int hotGeneration)
    {
        var text = new StringBuilder();
        for (var i = 0; i < Services; i++)
        {
            text.Append("---\n").Append(ServiceYaml(i)).Append("---\n").Append(SliceYaml(i, i == Hot ? hotGeneration : 0));
        }

        return text.ToString();
    }

    public string ServiceFile(string directory, int service) => Path.Combine(directory, Name(service) + ".service.yaml");

    public string SliceFile(string directory, int service) => Path.Combine(directory, Name(service) + ".slice.yaml");

    /// <summary>Writes one file per object (a Service file and an EndpointSlice file per service) into <paramref name="directory"/>.</summary>
    public void WriteObjectFiles(string directory)
    {
        for (var i = 0; i < Services; i++)
        {
            File.WriteAllText(ServiceFile(directory, i), ServiceYaml(i));
            File.WriteAllText(SliceFile(directory, i), SliceYaml(i, 0));
        }
    }

    /// <summary>Replaces a file's content as editors and MeshFiles do: write a hidden temporary file, then rename it over.</summary>
    public static void Replace(string path, string text)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".tmp");
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    private static string Zone(int endpoint) => "zone-" + (endpoint % 3).ToString(CultureInfo.InvariantCulture);
}
