using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Yaml;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// ServiceEntries as Istio's documentation writes them (external HTTPS APIs, a MongoDB cluster
/// with static endpoints, mesh-internal VMs by workload selector) and the cases of Istio's
/// <c>ValidateServiceEntry</c> and <c>validateWorkloadEntry</c>, accepted and refused.
/// </summary>
public sealed class ServiceEntryParserTests
{
    private const string HttpPorts = "ports: [{number: 80, protocol: http, name: http-valid1}, {number: 8080, protocol: http, name: http-valid2}]";

    [Fact]
    public void ExternalHttpsApis_AreValid_AndHandedToTheMeshAsAServiceEntry()
    {
        var document = Parse("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: external-svc-https, namespace: shop}
            spec:
              hosts: [api.dropboxapi.com, www.googleapis.com]
              location: MESH_EXTERNAL
              ports:
              - number: 443
                name: https
                protocol: TLS
              resolution: DNS
            """);

        Assert.Null(document.Rejection);
        var entry = Assert.IsType<ServiceEntrySpec>(document.Value);
        Assert.Equal(("shop", "external-svc-https"), (entry.Namespace, entry.Name));
        Assert.Equal(["api.dropboxapi.com", "www.googleapis.com"], entry.Hosts);
        Assert.Equal([new ServiceEntryPort(443, "https", "TLS", null)], entry.Ports);
        Assert.Equal(("MESH_EXTERNAL", "DNS"), (entry.Location, entry.Resolution));
    }

    [Fact]
    public void MongoClusterWithStaticEndpoints_IsReadIntoTheModel()
    {
        var entry = Read("""
            hosts: [MyMongoDB.somedomain]
            addresses: [192.192.192.192/24]
            ports:
            - {number: 27018, name: mongodb, protocol: mongo, targetPort: 27019}
            location: MESH_INTERNAL
            resolution: STATIC
            endpoints:
            - address: 2.2.2.2
              ports: {mongodb: 7000}
              labels: {version: v1, security.istio.io/tlsMode: istio}
              network: n1
              locality: us-east1/us-east1-b
              weight: 3
              serviceAccount: mongo
            - address: 3.3.3.3
            exportTo: [".", other]
            subjectAltNames: ["spiffe://cluster.local/ns/shop/sa/mongo"]
            """);

        Assert.Equal(["mymongodb.somedomain"], entry.Hosts);
        Assert.Equal(["192.192.192.192/24"], entry.Addresses);
        Assert.Equal([new ServiceEntryPort(27018, "mongodb", "MONGO", 27019)], entry.Ports);
        Assert.Equal(("MESH_INTERNAL", "STATIC"), (entry.Location, entry.Resolution));
        var first = entry.Endpoints[0];
        Assert.Equal(("2.2.2.2", "n1", "us-east1/us-east1-b", (int?)3, "mongo"), (first.Address, first.Network, first.Locality, first.Weight, first.ServiceAccount));
        Assert.Equal(7000, first.Ports["mongodb"]);
        Assert.Equal("istio", first.Labels["security.istio.io/tlsMode"]);
        Assert.Empty(entry.Endpoints[1].Ports);
        Assert.Null(entry.WorkloadSelector);
        Assert.Equal([".", "other"], entry.ExportTo);
        Assert.Equal(["spiffe://cluster.local/ns/shop/sa/mongo"], entry.SubjectAltNames);
    }

    [Fact]
    public void Defaults_AreMeshExternalAndResolutionNone_AndAShortHostIsKeptAsWritten()
    {
        var entry = Read("hosts: [foo, bar.com]\nports: [{number: 80, name: http}]\nworkloadSelector: {labels: {app: vm}}");

        Assert.Equal(("MESH_EXTERNAL", "NONE"), (entry.Location, entry.Resolution));
        Assert.Equal(["foo", "bar.com"], entry.Hosts);
        Assert.Null(entry.Ports[0].Protocol);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "vm" }, entry.WorkloadSelector);
    }

    [Theory]
    [InlineData("discovery type DNS", "{hosts: ['*.google.com'], " + HttpPorts + ", endpoints: [{address: lon.google.com, ports: {http-valid1: 8080}}, {address: in.google.com, ports: {http-valid2: 9080}}], resolution: DNS}")]
    [InlineData("discovery type DNS round robin", "{hosts: ['*.istio.io'], " + HttpPorts + ", endpoints: [{address: api-v1.istio.io, ports: {http-valid1: 8080}}], resolution: DNS_ROUND_ROBIN}")]
    [InlineData("DNS, label tlsMode: istio", "{hosts: ['*.google.com'], " + HttpPorts + ", endpoints: [{address: lon.google.com, labels: {security.istio.io/tlsMode: istio}}], resolution: DNS}")]
    [InlineData("DNS, one host with an IP address and an https port", "{hosts: [httpbin.org], addresses: [10.10.10.10], ports: [{number: 443, protocol: https, name: https}], resolution: DNS}")]
    [InlineData("DNS, an IP in endpoints", "{hosts: ['*.google.com'], " + HttpPorts + ", endpoints: [{address: 1.1.1.1, ports: {http-valid1: 8080}}, {address: in.google.com}], resolution: DNS}")]
    [InlineData("DNS, a short name host", "{hosts: [foo, bar.com], ports: [{number: 80, protocol: http, name: http-valid1}], endpoints: [{address: in.google.com, ports: {http-valid1: 9080}}], resolution: DNS}")]
    [InlineData("DNS, no endpoints", "{hosts: [google.com], " + HttpPorts + ", resolution: DNS}")]
    [InlineData("resolution NONE, CIDR addresses", "{hosts: [google.com], addresses: [172.1.2.16/16, '2001:db8::/32'], " + HttpPorts + ", resolution: NONE}")]
    [InlineData("STATIC, CIDR addresses with endpoints", "{hosts: [google.com], addresses: [172.1.2.16/16], " + HttpPorts + ", endpoints: [{address: 1.1.1.1, ports: {http-valid1: 8080}}, {address: '2001:db8::1'}], resolution: STATIC}")]
    [InlineData("STATIC, no endpoints (Istio accepts it: the host has no endpoints)", "{hosts: [google.com], addresses: [172.1.2.16], " + HttpPorts + ", resolution: STATIC}")]
    [InlineData("a unix socket", "{hosts: [uds.cluster.local], ports: [{number: 6553, protocol: grpc, name: grpc-service1}], resolution: STATIC, endpoints: [{address: 'unix:///path/to/socket'}]}")]
    [InlineData("an empty protocol is sniffed", "{hosts: [google.com], addresses: [172.1.2.16/16], ports: [{number: 80, protocol: http, name: http-valid1}, {number: 8080, name: http-valid2}]}")]
    [InlineData("a workload selector, mesh internal", "{hosts: [google.com], location: MESH_INTERNAL, workloadSelector: {labels: {foo: bar}}, ports: [{number: 80, protocol: http, name: http-valid1}], resolution: DNS}")]
    [InlineData("a workload selector without labels (Istio warns)", "{hosts: [google.com], " + HttpPorts + ", workloadSelector: {}}")]
    [InlineData("an endpoint with a network and no address", "{hosts: [google.com], " + HttpPorts + ", resolution: STATIC, endpoints: [{network: network-2}]}")]
    [InlineData("a partial wildcard host (Istio warns)", "{hosts: ['*foo.com'], " + HttpPorts + "}")]
    [InlineData("exported to no one", "{hosts: [google.com], " + HttpPorts + ", exportTo: ['~']}")]
    [InlineData("several hosts with resolution NONE and TCP", "{hosts: [a.com, b.com], ports: [{number: 5432, name: tcp, protocol: TCP}]}")]
    public void ValidServiceEntry_IsAccepted(string what, string spec)
    {
        var document = Parse($"apiVersion: networking.istio.io/v1beta1\nkind: ServiceEntry\nmetadata: {{name: se, namespace: shop}}\nspec: {spec}\n");

        Assert.True(document.Rejection is null, $"{what}: {document.Rejection?.Field}: {document.Rejection?.Reason}");
        Assert.Equal("se", Assert.IsType<ServiceEntrySpec>(document.Value).Name);
    }

    [Theory]
    [InlineData("{" + HttpPorts + "}", "spec.hosts", "is required")]
    [InlineData("{hosts: ['-'], " + HttpPorts + "}", "spec.hosts[0]", "not a valid host")]
    [InlineData("{hosts: [foo.com, '*'], " + HttpPorts + "}", "spec.hosts[1]", "cannot be '*'")]
    [InlineData("{hosts: [foo.123], " + HttpPorts + "}", "spec.hosts[0]", "all digits")]
    [InlineData("{hosts: [google.com], " + HttpPorts + ", endpoints: [{address: lon.google.com, ports: {http-dne: 9080}}], resolution: DNS}", "spec.endpoints[0].ports.http-dne", "not the name of a port")]
    [InlineData("{hosts: ['*.google.com'], " + HttpPorts + ", endpoints: [{address: '*.lon.google.com'}], resolution: DNS}", "spec.endpoints[0].address", "not an IP address or a fully qualified DNS name")]
    [InlineData("{hosts: ['*.google.com'], " + HttpPorts + ", resolution: DNS}", "spec.hosts[0]", "with resolution DNS and no endpoints")]
    [InlineData("{hosts: ['*.google.com'], ports: [{number: 80, name: http}], endpoints: [{address: 'unix:///lon/google/com'}], resolution: DNS}", "spec.endpoints[0].address", "needs resolution STATIC")]
    [InlineData("{hosts: [google.com], " + HttpPorts + ", endpoints: [{address: lon.google.com}], resolution: NONE}", "spec.endpoints", "resolution NONE takes no endpoints")]
    [InlineData("{hosts: [google.com], " + HttpPorts + ", endpoints: [{address: google.com}], resolution: STATIC}", "spec.endpoints[0].address", "not an IP address")]
    [InlineData("{hosts: [google.com], " + HttpPorts + ", endpoints: [{address: 2.2.2.2, ports: {http-dne: 9080}}], resolution: STATIC}", "spec.endpoints[0].ports.http-dne", "not the name of a port")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http-conflict}, {number: 8080, name: http-conflict}]}", "spec.ports[1].name", "must be unique")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http-conflict1}, {number: 80, name: http-conflict2}]}", "spec.ports[1].number", "must be unique")]
    [InlineData("{hosts: [uds.cluster.local], ports: [{number: 6553, name: grpc}], resolution: STATIC, endpoints: [{address: 'unix://./relative/path.sock'}]}", "spec.endpoints[0].address", "absolute path")]
    [InlineData("{hosts: [uds.cluster.local], ports: [{number: 6553, name: grpc}], resolution: STATIC, endpoints: [{address: 'unix:///path/to/socket', ports: {grpc: 6553}}]}", "spec.endpoints[0].ports", "takes no ports")]
    [InlineData("{hosts: [uds.cluster.local], ports: [{number: 6553, name: grpc}, {number: 80, name: http}], resolution: STATIC, endpoints: [{address: 'unix:///path/to/socket'}]}", "spec.endpoints[0].address", "exactly one port")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http}], workloadSelector: {labels: {foo: bar}}, endpoints: [{address: 1.1.1.1}], resolution: STATIC}", "spec.workloadSelector", "only one of endpoints and workloadSelector")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http}], workloadSelector: {labels: {'': bar}}}", "spec.workloadSelector.labels[]", "not a label name")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http, targetPort: 65536}]}", "spec.ports[0].targetPort", "between 1 and 65535")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http}], resolution: DNS_ROUND_ROBIN, endpoints: [{address: a.google.com}, {address: b.google.com}]}", "spec.endpoints", "at most one endpoint")]
    [InlineData("{hosts: [google.com], addresses: [10.0.0.0/8], ports: [{number: 80, name: http}], resolution: DNS}", "spec.addresses[0]", "only with resolution NONE or STATIC")]
    [InlineData("{hosts: [a.com, b.com], ports: [{number: 80, name: http, protocol: HTTP}, {number: 5432, name: tcp, protocol: TCP}], resolution: DNS}", "spec.ports[1].protocol", "cannot tell several hosts apart")]
    [InlineData("{hosts: [a.com, b.com], ports: [{number: 80, name: http}], resolution: STATIC}", "spec.ports[0].protocol", "cannot tell several hosts apart")]
    [InlineData("{hosts: [google.com], addresses: [1.1.1], ports: [{number: 80, name: http}]}", "spec.addresses[0]", "not an IP address")]
    [InlineData("{hosts: [google.com], addresses: [10.0.0.0/33], ports: [{number: 80, name: http}]}", "spec.addresses[0]", "not a valid CIDR")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http}], location: MESH_SOMEWHERE}", "spec.location", "MESH_EXTERNAL or MESH_INTERNAL")]
    [InlineData("{hosts: ['*.google.com'], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DYNAMIC_DNS}", "spec.resolution", "not supported yet")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http}], resolution: dns}", "spec.resolution", "must be one of")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http, protocol: kafka}]}", "spec.ports[0].protocol", "not a supported protocol")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http_1}]}", "spec.ports[0].name", "not a valid port name")]
    [InlineData("{hosts: [google.com], ports: [{name: http}]}", "spec.ports[0].number", "is required")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http}], resolution: STATIC, endpoints: [{ports: {http: 80}}]}", "spec.endpoints[0].address", "is required")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http}], resolution: DNS, endpoints: [{network: n2}]}", "spec.endpoints[0].address", "is required with resolution DNS")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http}], exportTo: ['.', shop]}", "spec.exportTo[1]", "stands for the namespace shop")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http}], exportTo: ['*', other]}", "spec.exportTo[0]", "cannot be listed with other entries")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http}], exportTo: ['~', other]}", "spec.exportTo[0]", "cannot be listed with other entries")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http}], resolution: STATIC, endpoints: [{address: 1.1.1.1, weight: -1}]}", "spec.endpoints[0].weight", "between 0 and")]
    [InlineData("{hosts: [google.com], ports: [{number: 80, name: http}], resolution: STATIC, endpoints: [{address: 1.1.1.1, host: x}]}", "spec.endpoints[0].host", "not a known field")]
    public void InvalidServiceEntry_IsRejectedWithTheOffendingField(string spec, string field, string reason)
    {
        var document = Parse($"apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata: {{name: se, namespace: shop}}\nspec: {spec}\n");

        var rejection = Assert.IsType<RejectedObject>(document.Rejection);
        Assert.Equal(("ServiceEntry", "shop", "se"), (rejection.Kind, rejection.Namespace, rejection.Name));
        Assert.Equal(field, rejection.Field);
        Assert.Contains(reason, rejection.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(KubernetesObjectParser.ValidatorFailure, rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryProblemOfAServiceEntry_IsReported()
    {
        var document = Parse("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: se}
            spec:
              hosts: ["*", "ok.example.com", "bad host", "two.example.com"]
              ports: [{number: 80, name: a}, {number: 80, name: a}]
              resolution: STATIC
              endpoints: [{address: example.com}]
            """);

        var rejection = document.Rejection!;
        Assert.Equal("spec.hosts[0]", rejection.Field);
        Assert.Contains("and 4 more", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.hosts[2]", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.ports[1].name", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.endpoints[0].address", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.ports[0].protocol", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownVersionOfTheKind_IsRejected()
    {
        var document = Parse("apiVersion: networking.istio.io/v2\nkind: ServiceEntry\nmetadata: {name: se}\nspec: {hosts: [a.com]}\n");

        Assert.Equal("apiVersion", document.Rejection!.Field);
    }

    private static ParsedDocument Parse(string yaml) => Assert.Single(KubernetesObjectParser.Parse("se.yaml", yaml).Documents);

    private static ServiceEntrySpec Read(string spec)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader("spec:\n" + string.Join('\n', spec.Split('\n').Select(line => "  " + line))));
        return ServiceEntryParser.Parse((YamlMappingNode)stream.Documents[0].RootNode, "shop", "se");
    }
}
