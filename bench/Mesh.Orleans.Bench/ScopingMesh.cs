using System.Globalization;
using System.Text;

namespace Mesh.Orleans.Bench;

/// <summary>
/// The scoping scenario's mesh: N namespaces of M Services each (the last namespace is
/// <c>shared</c>, the others <c>ns-000</c>, <c>ns-001</c>, ...), each Service with one
/// EndpointSlice of E endpoints, and in every namespace a namespace-wide Sidecar <c>default</c>
/// whose egress hosts are its own namespace and <c>shared</c>; written as one YAML file per
/// object. Sidecar k of the simulated fleet lives in namespace k mod N.
/// </summary>
/// <remarks>
/// Endpoint addresses are numbered over the whole mesh in 127.0.0.0/8 (nothing dials them); a
/// change of generation g moves a slice's first endpoint to 127.255.x.y, which no other
/// endpoint has.
/// </remarks>
internal sealed class ScopingMesh
{
    public const string SharedNamespace = "shared";

    public const int Port = 8080;

    private readonly string _namespaceFormat;
    private readonly string _serviceFormat;

    public ScopingMesh(ScopingOptions options)
    {
        if ((long)options.Services * options.EndpointsPerService >= 250L * 250 * 254)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "More endpoints than the 127.0.0.0/8 addressing here can number.");
        }

        Namespaces = options.Namespaces;
        ServicesPerNamespace = options.ServicesPerNamespace;
        Endpoints = options.EndpointsPerService;
        _namespaceFormat = "D" + Math.Max(3, (Namespaces - 1).ToString(CultureInfo.InvariantCulture).Length).ToString(CultureInfo.InvariantCulture);
        _serviceFormat = "D" + Math.Max(3, (ServicesPerNamespace - 1).ToString(CultureInfo.InvariantCulture).Length).ToString(CultureInfo.InvariantCulture);
    }

    public int Namespaces { get; }

    public int ServicesPerNamespace { get; }

    public int Endpoints { get; }

    public int Services => Namespaces * ServicesPerNamespace;

    /// <summary>The index of the shared namespace: the last.</summary>
    public int Shared => Namespaces - 1;

    /// <summary>The ordinary namespace whose slice and Sidecar change: <c>ns-123</c>, or a lower one in a small mesh.</summary>
    public int Target => Math.Min(123, Namespaces - 3);

    /// <summary>The namespace the target's Sidecar change adds to its egress hosts: the next one.</summary>
    public int Neighbour => Target + 1;

    /// <summary>An ordinary namespace other than the target and its neighbour, whose changes only warm the path up.</summary>
    public int WarmUp => Target == 0 ? Namespaces - 2 : 0;

    public string Namespace(int ns) => ns == Shared ? SharedNamespace : "ns-" + ns.ToString(_namespaceFormat, CultureInfo.InvariantCulture);

    public string Name(int service) => "svc-" + service.ToString(_serviceFormat, CultureInfo.InvariantCulture);

    public string Hostname(int ns, int service) => $"{Name(service)}.{Namespace(ns)}.svc.cluster.local";

    /// <summary>The service's Cluster (and ClusterLoadAssignment) name.</summary>
    public string Cluster(int ns, int service) => $"outbound|{Port}||{Hostname(ns, service)}";

    /// <summary>Every Cluster of <paramref name="ns"/>.</summary>
    public IReadOnlyList<string> Clusters(int ns) => Enumerable.Range(0, ServicesPerNamespace).Select(s => Cluster(ns, s)).ToList();

    /// <summary>The namespace simulated sidecar <paramref name="sidecar"/> lives in.</summary>
    public int NamespaceOf(int sidecar) => sidecar % Namespaces;

    /// <summary>Endpoint <paramref name="endpoint"/> of a service; at a <paramref name="generation"/> above 0 the first one has moved to 127.255.x.y.</summary>
    public string Address(int ns, int service, int endpoint, int generation)
    {
        if (endpoint == 0 && generation > 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"127.255.{(generation / 250 % 250) + 1}.{(generation % 250) + 1}");
        }

        var index = ((((long)ns * ServicesPerNamespace) + service) * Endpoints) + endpoint;
        return string.Create(CultureInfo.InvariantCulture, $"127.{(index / 62_500) + 1}.{(index / 250 % 250) + 1}.{(index % 250) + 1}");
    }

    public string ServiceYaml(int ns, int service) => string.Create(CultureInfo.InvariantCulture, $"""
        apiVersion: v1
        kind: Service
        metadata: {"{"}name: {Name(service)}, namespace: {Namespace(ns)}{"}"}
        spec:
          type: ClusterIP
          ports: [{"{"}name: grpc, port: {Port}, protocol: TCP, targetPort: {Port}{"}"}]

        """);

    public string SliceYaml(int ns, int service, int generation)
    {
        var yaml = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"""
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: {Name(service)}-1
              namespace: {Namespace(ns)}
              labels: {"{"}kubernetes.io/service-name: {Name(service)}{"}"}
            addressType: IPv4
            ports: [{"{"}name: grpc, port: {Port}, protocol: TCP{"}"}]
            endpoints:

            """));
        for (var e = 0; e < Endpoints; e++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{addresses: [\"{Address(ns, service, e, generation)}\"], conditions: {{ready: true}}, zone: zone-{e % 3}}}\n");
        }

        return yaml.ToString();
    }

    /// <summary>The namespace-wide Sidecar of <paramref name="ns"/>: its own namespace, <c>shared</c>, and any <paramref name="moreNamespaces"/>.</summary>
    public string SidecarYaml(int ns, params int[] moreNamespaces)
    {
        var hosts = new[] { "\"./*\"", $"\"{SharedNamespace}/*\"" }.Concat(moreNamespaces.Select(n => $"\"{Namespace(n)}/*\""));
        return $"apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {{name: default, namespace: {Namespace(ns)}}}\nspec:\n  egress:\n  - hosts: [{string.Join(", ", hosts)}]\n";
    }

    public string ServiceFile(string directory, int ns, int service) => Path.Combine(directory, $"{Namespace(ns)}.{Name(service)}.service.yaml");

    public string SliceFile(string directory, int ns, int service) => Path.Combine(directory, $"{Namespace(ns)}.{Name(service)}.slice.yaml");

    public string SidecarFile(string directory, int ns) => Path.Combine(directory, $"{Namespace(ns)}.sidecar.yaml");

    /// <summary>Writes every Service and EndpointSlice, one file per object.</summary>
    public void WriteServiceFiles(string directory)
    {
        for (var ns = 0; ns < Namespaces; ns++)
        {
            for (var s = 0; s < ServicesPerNamespace; s++)
            {
                File.WriteAllText(ServiceFile(directory, ns, s), ServiceYaml(ns, s));
                File.WriteAllText(SliceFile(directory, ns, s), SliceYaml(ns, s, 0));
            }
        }
    }

    /// <summary>Writes every namespace's Sidecar, one file each.</summary>
    public void WriteSidecarFiles(string directory)
    {
        for (var ns = 0; ns < Namespaces; ns++)
        {
            File.WriteAllText(SidecarFile(directory, ns), SidecarYaml(ns));
        }
    }
}
