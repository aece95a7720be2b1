using System.Globalization;
using System.Text;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>Small builders of the Kubernetes and Istio YAML the tests feed the control plane.</summary>
public static class MeshYaml
{
    /// <summary>A Service with one port named <c>grpc</c>.</summary>
    public static string Service(string name, int port, string ns = "default") => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {name}
          namespace: {ns}
        spec:
          ports:
            - name: grpc
              port: {port}
              targetPort: {port}
        """;

    /// <summary>An EndpointSlice of <paramref name="service"/> whose endpoints all listen on <paramref name="port"/>.</summary>
    public static string Slice(string name, string service, int port, IEnumerable<(string Address, bool Ready)> endpoints, string ns = "default", string? zone = null)
    {
        var builder = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"""
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: {name}
              namespace: {ns}
              labels:
                kubernetes.io/service-name: {service}
            addressType: IPv4
            ports:
              - name: grpc
                port: {port}
            endpoints:

            """));
        foreach (var (address, ready) in endpoints)
        {
            builder.Append(CultureInfo.InvariantCulture, $"""
                  - addresses: ["{address}"]
                    conditions: {"{"}ready: {(ready ? "true" : "false")}{"}"}

                """);
            if (zone is not null)
            {
                builder.Append(CultureInfo.InvariantCulture, $"    zone: {zone}\n");
            }
        }

        return builder.ToString();
    }

    /// <summary>A VirtualService splitting <paramref name="host"/> between weighted destinations.</summary>
    public static string WeightedSplit(string name, string host, int port, params (string Host, int Weight)[] destinations)
    {
        var builder = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: {name}
              namespace: default
            spec:
              hosts: [{host}]
              http:
                - name: split
                  route:

            """));
        foreach (var (destination, weight) in destinations)
        {
            builder.Append(CultureInfo.InvariantCulture, $"""
                        - destination: {"{"}host: {destination}, port: {"{"}number: {port}{"}"}{"}"}
                          weight: {weight}

                """);
        }

        return builder.ToString();
    }

    /// <summary>Joins documents into one multi-document file.</summary>
    /// <summary>An EndpointSlice of <paramref name="service"/> whose ready endpoints each name their Pod (<c>targetRef</c>).</summary>
    public static string SliceOfPods(string name, string service, int port, string ns, params (string Address, string Pod)[] endpoints)
    {
        var builder = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"""
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {"{"}name: {name}, namespace: {ns}, labels: {"{"}kubernetes.io/service-name: {service}{"}"}{"}"}
            addressType: IPv4
            ports: [{"{"}name: grpc, port: {port}{"}"}]
            endpoints:

            """));
        foreach (var (address, pod) in endpoints)
        {
            builder.Append(CultureInfo.InvariantCulture, $"  - {"{"}addresses: [\"{address}\"], targetRef: {"{"}kind: Pod, namespace: {ns}, name: {pod}{"}"}{"}"}\n");
        }

        return builder.ToString();
    }

    /// <summary>A running Pod with the given <c>version</c> label.</summary>
    public static string Pod(string name, string ns, string version, string ip) => $"""
        apiVersion: v1
        kind: Pod
        metadata: {"{"}name: {name}, namespace: {ns}, labels: {"{"}app: {name.Split('-')[0]}, version: {version}{"}"}{"}"}
        status: {"{"}podIP: {ip}, phase: Running{"}"}
        """;

    /// <summary>A DestinationRule for <paramref name="host"/> with one subset per version, selecting <c>version: &lt;subset&gt;</c>.</summary>
    public static string SubsetRule(string name, string host, string ns, params string[] versions) =>
        $"apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  host: {host}\n  subsets:\n"
        + string.Concat(versions.Select(v => $"  - {{name: {v}, labels: {{version: {v}}}}}\n"));

    public static string Documents(params string[] documents) => string.Join("\n---\n", documents);
}
