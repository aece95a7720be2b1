using System.Globalization;
using System.Text;

namespace Mesh.Orleans.Bench;

/// <summary>The benchmark's mesh on disk: one file per service (its Service and EndpointSlice).</summary>
internal static class MeshFiles
{
    public const string Namespace = "bench";

    public static string ServiceName(int i) => $"svc-{i:D4}";

    public static string Cluster(int i) => $"outbound|8080||{ServiceName(i)}.{Namespace}.svc.cluster.local";

    public static string Write(int services, int endpoints)
    {
        var directory = Directory.CreateTempSubdirectory("mesh-bench-").FullName;
        for (var i = 0; i < services; i++)
        {
            WriteService(directory, i, endpoints, generation: 0);
        }

        return directory;
    }

    /// <summary>Rewrites one service's file; a new <paramref name="generation"/> moves its first endpoint (an endpoint change).</summary>
    public static void WriteService(string directory, int i, int endpoints, int generation)
    {
        var name = ServiceName(i);
        var yaml = Header(name, Namespace);
        for (var e = 0; e < endpoints; e++)
        {
            // Addresses in 127.0.0.0/8 that nothing ever dials.
            var third = e == 0 ? 100 + (generation % 100) : e;
            yaml.Append(CultureInfo.InvariantCulture, $"  - addresses: [\"127.{i / 250 + 1}.{third}.{i % 250 + 1}\"]\n    zone: zone-{e % 3}\n");
        }

        Replace(directory, name, yaml.ToString());
    }

    /// <summary>A Service of port 8080 and the head of its EndpointSlice, up to its <c>endpoints:</c> list.</summary>
    public static StringBuilder Header(string name, string ns) => new(string.Create(CultureInfo.InvariantCulture, $"""
        apiVersion: v1
        kind: Service
        metadata: {"{"}name: {name}, namespace: {ns}{"}"}
        spec:
          ports: [{"{"}name: grpc, port: 8080{"}"}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: {name}-1
          namespace: {ns}
          labels: {"{"}kubernetes.io/service-name: {name}{"}"}
        addressType: IPv4
        ports: [{"{"}name: grpc, port: 8080{"}"}]
        endpoints:

        """));

    /// <summary>Writes <paramref name="name"/>.yaml whole at once (a rename over the old file), as editors and controllers do.</summary>
    public static void Replace(string directory, string name, string yaml)
    {
        var path = Path.Combine(directory, name + ".yaml");
        var temporary = Path.Combine(directory, "." + name + ".tmp");
        File.WriteAllText(temporary, yaml);
        File.Move(temporary, path, overwrite: true);
    }
}
