using System.Text;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Tests.Silo.Sources;

public sealed class KubernetesObjectParserTests
{
    private const string ValidService = """
        apiVersion: v1
        kind: Service
        metadata: {name: echo, namespace: shop}
        spec:
          ports:
            - {name: grpc, port: 7000, targetPort: grpc, appProtocol: grpc}
            - {name: admin, port: 7001, targetPort: 17001}
        """;

    [Fact]
    public void Parse_MultiDocumentFile_ReadsEveryKind()
    {
        var file = KubernetesObjectParser.Parse("mesh.yaml", ValidService + """

            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: echo-abc
              namespace: shop
              labels: {kubernetes.io/service-name: echo}
            addressType: IPv4
            ports: [{name: grpc, port: 17000}]
            endpoints:
              - addresses: ["127.0.0.1"]
                conditions: {ready: true, serving: true, terminating: false}
                zone: z1
                nodeName: n1
                targetRef: {kind: Pod, namespace: shop, name: echo-abc-1}
              - addresses: ["127.0.0.2"]
                conditions: {ready: false}
            ---
            ---
            apiVersion: networking.istio.io/v1beta1
            kind: VirtualService
            metadata: {name: echo, namespace: shop}
            spec:
              hosts: [echo]
              http:
                - name: canary
                  match:
                    - uri: {prefix: /echo.Echo/}
                      headers: {x-canary: {exact: "yes"}}
                  route:
                    - destination: {host: echo-v2}
                  timeout: 1.5s
                - route:
                    - destination: {host: echo.shop.svc.cluster.local, port: {number: 7000}}
                      weight: 90
                    - destination: {host: echo-v2, port: {number: 7000}}
                      weight: 10
            """);

        Assert.Null(file.FileError);
        Assert.All(file.Documents, d => Assert.Null(d.Rejection));
        var service = Assert.IsType<MeshService>(file.Documents[0].Value);
        Assert.Equal("echo.shop.svc.cluster.local", service.Hostname);
        Assert.Equal([("grpc", 7000, "grpc"), ("admin", 7001, "17001")], service.Ports.Select(p => (p.Name, p.Port, p.TargetPort!)));
        var slice = Assert.IsType<MeshEndpointSlice>(file.Documents[1].Value);
        Assert.Equal("echo", slice.ServiceName);
        Assert.Equal(17000, slice.Ports.Single().Port);
        Assert.Equal([true, false], slice.Endpoints.Select(e => e.Ready));
        Assert.Equal("Pod/shop/echo-abc-1", slice.Endpoints[0].TargetRef);
        var virtualService = Assert.IsType<VirtualServiceSpec>(file.Documents[2].Value);
        Assert.Equal(["echo.shop.svc.cluster.local"], virtualService.Hosts);
        Assert.Equal(TimeSpan.FromSeconds(1.5), virtualService.Http[0].Timeout);
        Assert.Equal("echo-v2.shop.svc.cluster.local", virtualService.Http[0].Route.Single().Host);
        Assert.Equal(100, virtualService.Http[0].Route.Single().Weight);
        Assert.Equal([90, 10], virtualService.Http[1].Route.Select(r => r.Weight));
    }

    [Fact]
    public void Parse_NotYaml_RejectsTheWholeFileWithALineNumber()
    {
        var file = KubernetesObjectParser.Parse("broken.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: x\n  bad: [");

        Assert.NotNull(file.FileError);
        Assert.Contains("line", file.FileError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 1}]}", "apiVersion", "is required")]
    [InlineData("apiVersion: v1\nmetadata: {name: a}", "kind", "is required")]
    [InlineData("apiVersion: v1\nkind: Service\nspec: {}", "metadata", "is required")]
    [InlineData("apiVersion: v1\nkind: Service\nmetadata: {name: a}", "spec", "is required")]
    [InlineData("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: []}", "spec.ports", "is required")]
    [InlineData("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 70000}]}", "spec.ports[0].port", "between 1 and 65535")]
    [InlineData("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: http}]}", "spec.ports[0].port", "integer")]
    [InlineData("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 1}, {port: 2}]}", "spec.ports[0].name", "more than one port")]
    [InlineData("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{name: x, port: 1}, {name: x, port: 2}]}", "spec.ports[1].name", "used by another port")]
    [InlineData("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 1, protocol: HTTP}]}", "spec.ports[0].protocol", "TCP, UDP or SCTP")]
    [InlineData("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 1, targetPort: 0}]}", "spec.ports[0].targetPort", "between 1 and 65535")]
    [InlineData("apiVersion: v1\nkind: Service\nmetadata: {name: Bad_Name}\nspec: {ports: [{port: 1}]}", "metadata.name", "DNS label")]
    [InlineData("apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: NS}\nspec: {ports: [{port: 1}]}", "metadata.namespace", "DNS label")]
    [InlineData("apiVersion: v2\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 1}]}", "apiVersion", "not a version of Service")]
    public void Parse_InvalidService_RejectsTheObjectNamingTheField(string yaml, string field, string reason)
    {
        var document = Assert.Single(KubernetesObjectParser.Parse("f.yaml", yaml).Documents);

        Assert.Null(document.Value);
        Assert.Equal(field, document.Rejection!.Field);
        Assert.Contains(reason, document.Rejection.Reason, StringComparison.Ordinal);
        Assert.Equal("f.yaml", document.Rejection.Source);
    }

    [Theory]
    [InlineData("addressType: IPv4\nendpoints: []", "metadata.labels[kubernetes.io/service-name]", "is required")]
    [InlineData("addressType: FQDN\nendpoints: []", "addressType", "FQDN")]
    [InlineData("addressType: IPv5\nendpoints: []", "addressType", "IPv4 or IPv6")]
    [InlineData("addressType: IPv4\nendpoints: [{addresses: []}]", "endpoints[0].addresses", "at least one")]
    [InlineData("addressType: IPv4\nendpoints: [{addresses: [\"300.1.1.1\"]}]", "endpoints[0].addresses[0]", "not a valid IPv4")]
    [InlineData("addressType: IPv4\nendpoints: [{addresses: [\"1\"]}]", "endpoints[0].addresses[0]", "not a valid IPv4")]
    [InlineData("addressType: IPv4\nendpoints: [{addresses: [\"::1\"]}]", "endpoints[0].addresses[0]", "not a valid IPv4")]
    [InlineData("addressType: IPv4\nendpoints: [{addresses: [\"127.0.0.1\"], conditions: {ready: maybe}}]", "endpoints[0].conditions.ready", "true or false")]
    [InlineData("addressType: IPv4\nports: [{name: grpc, port: -1}]\nendpoints: []", "ports[0].port", "between 1 and 65535")]
    public void Parse_InvalidEndpointSlice_RejectsTheObjectNamingTheField(string body, string field, string reason)
    {
        var labels = field.StartsWith("metadata.labels", StringComparison.Ordinal) ? string.Empty : "\n  labels: {kubernetes.io/service-name: echo}";
        var yaml = $"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: s{labels}\n{body}";

        var document = Assert.Single(KubernetesObjectParser.Parse("f.yaml", yaml).Documents);

        Assert.Equal(field, document.Rejection?.Field);
        Assert.Contains(reason, document.Rejection!.Reason, StringComparison.Ordinal);
        Assert.Equal(new ObjectKey("EndpointSlice", "default", "s"), document.Key);
    }

    [Theory]
    [InlineData("hosts: []", "spec.http", "at least one route")]
    [InlineData("hosts: [a]\nhttp: [{route: []}]", "spec.http[0].route", "at least one destination")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {port: {number: 1}}}]}]", "spec.http[0].route[0].destination.host", "is required")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: b, subset: V1}}]}]", "spec.http[0].route[0].destination.subset", "DNS label")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: b}, weight: -1}]}]", "spec.http[0].route[0].weight", "between 0 and")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: b}, weight: 0}, {destination: {host: c}, weight: 0}]}]", "spec.http[0].route", "add up to 0")]
    [InlineData("hosts: [a]\nhttp: [{timeout: soon, route: [{destination: {host: b}}]}]", "spec.http[0].timeout", "duration")]
    [InlineData("hosts: [a]\nhttp: [{timeout: 99999999999999999999999999999999s, route: [{destination: {host: b}}]}]", "spec.http[0].timeout", "duration")]
    [InlineData("hosts: [a]\nhttp: [{timeout: 99999999999999999999h, route: [{destination: {host: b}}]}]", "spec.http[0].timeout", "duration")]
    [InlineData("hosts: [a]\nhttp: [{timeout: \u0661\u0662s, route: [{destination: {host: b}}]}]", "spec.http[0].timeout", "duration")]
    [InlineData("hosts: [a]\nhttp: [{match: [{uri: {exact: /a, prefix: /b}}], route: [{destination: {host: b}}]}]", "spec.http[0].match[0].uri", "exactly one")]
    [InlineData("hosts: [a]\nhttp: [{match: [{uri: {regex: \"(?=x)\"}}], route: [{destination: {host: b}}]}]", "spec.http[0].match[0].uri.regex", "RE2")]
    [InlineData("hosts: [a]\nhttp: [{match: [{uri: {regex: \"([a\"}}], route: [{destination: {host: b}}]}]", "spec.http[0].match[0].uri.regex", "not a valid regular expression")]
    [InlineData("hosts: [a]\nhttp: [{match: [{method: {prefix: \"\"}}], route: [{destination: {host: b}}]}]", "spec.http[0].match[0].method.prefix", "empty prefix")]
    [InlineData("hosts: [a]\nhttp: [{fault: {}, route: [{destination: {host: b}}]}]", "spec.http[0].fault", "a delay, an abort or both")]
    [InlineData("hosts: [a]\nhttp: [{rout: [{destination: {host: b}}]}]", "spec.http[0].rout", "not a known field")]
    [InlineData("hosts: [\"a b\"]", "spec.hosts[0]", "not a valid host")]
    [InlineData("hosts: [\"foo.*.com\"]", "spec.hosts[0]", "not a valid host")]
    public void Parse_InvalidVirtualService_RejectsTheObjectNamingTheField(string spec, string field, string reason)
    {
        var yaml = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec:\n" + string.Join('\n', spec.Split('\n').Select(l => "  " + l));

        var document = Assert.Single(KubernetesObjectParser.Parse("f.yaml", yaml).Documents);

        Assert.Equal(field, document.Rejection?.Field);
        Assert.Contains(reason, document.Rejection!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_VirtualServiceBoundOnlyToGateways_IsHandedToTheMeshForItsGateways()
    {
        var document = Assert.Single(KubernetesObjectParser.Parse("f.yaml",
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {hosts: [a], gateways: [ingress], http: [{route: [{destination: {host: b}}]}]}").Documents);

        Assert.Null(document.Rejection);
        var virtualService = Assert.IsType<VirtualServiceSpec>(document.Value);
        Assert.False(virtualService.AppliesToMesh);
        Assert.Equal(["ingress"], virtualService.Gateways!);
    }

    [Fact]
    public void Parse_OneBadDocument_DoesNotHideTheGoodOnesBesideIt()
    {
        var file = KubernetesObjectParser.Parse("f.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec: {ports: [{port: 0}]}\n---\n" + ValidService + "\n---\n- just\n- a list\n");

        Assert.Equal(3, file.Documents.Count);
        Assert.NotNull(file.Documents[0].Rejection);
        Assert.IsType<MeshService>(file.Documents[1].Value);
        Assert.Equal("document 3", file.Documents[2].Rejection!.Name);
    }

    [Fact]
    public void Parse_HostileNesting_IsRejectedWithoutOverflowingTheStack()
    {
        var deep = new string('[', 100_000) + new string(']', 100_000);

        var file = KubernetesObjectParser.Parse("deep.yaml", deep);

        Assert.Contains("nested deeper", file.FileError, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AliasBomb_StaysBoundedAndRejectsTheObject()
    {
        var yaml = new StringBuilder("apiVersion: v1\nkind: Service\nmetadata: {name: bomb}\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < 12; i++)
        {
            yaml.Append($"x{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        }

        yaml.Append("spec: {ports: *a11}\n");

        var document = Assert.Single(KubernetesObjectParser.Parse("bomb.yaml", yaml.ToString()).Documents);

        Assert.Equal("spec.ports[0]", document.Rejection!.Field);
    }

    [Fact]
    public void Parse_TooManyEndpoints_IsRejectedWithTheApiServersLimit()
    {
        var endpoints = string.Join('\n', Enumerable.Range(0, 1001).Select(i => $"  - addresses: [\"127.0.{i / 250}.{i % 250 + 1}\"]"));
        var yaml = $"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: s\n  labels: {{kubernetes.io/service-name: e}}\naddressType: IPv4\nendpoints:\n{endpoints}";

        var document = Assert.Single(KubernetesObjectParser.Parse("f.yaml", yaml).Documents);

        Assert.Equal("endpoints", document.Rejection!.Field);
        Assert.Contains("at most 1000", document.Rejection.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a: [b\n- c: : d\n")]
    [InlineData("apiVersion: v1\nkind: Service\nmetadata: {name: echo}\nspec:\n  ports: [{port: 7000}]\n  bad: [unclosed\n  - x: : y\n")]
    public void Parse_InputThatMakesTheScannerThrowSomethingOtherThanYamlException_RejectsTheFile(string yaml)
    {
        // Issue 6, finding 1: YamlDotNet threw InvalidOperationException from ScanPlainScalar,
        // which escaped the parser and stopped the whole process.
        var file = KubernetesObjectParser.Parse("broken.yaml", yaml);

        Assert.Empty(file.Documents);
        Assert.StartsWith("not valid YAML", file.FileError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("? {a: b}\n: c\n", "a mapping")]
    [InlineData("[a]: c\n", "a sequence")]
    [InlineData("x: &k [a]\n*k : c\n", "an alias")]
    public void Parse_MappingKeyThatIsNotAString_RejectsTheFile(string extra, string what)
    {
        var file = KubernetesObjectParser.Parse("f.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: echo}\nspec: {ports: [{port: 1}]}\n" + extra);

        Assert.Empty(file.Documents);
        Assert.Contains($"is {what}; Kubernetes objects only have string keys", file.FileError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_AliasBombAsAMappingKey_IsRejectedQuickly()
    {
        // Issue 6, fuzzing: YamlDotNet hashes a collection key node by node through its aliases,
        // so nine lines of anchors used as one key kept Parse busy for minutes.
        var yaml = new StringBuilder("apiVersion: v1\nkind: Service\nmetadata: {name: bomb}\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < 12; i++)
        {
            yaml.Append($"x{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        }

        yaml.Append("? *a11\n: x\n");

        var file = await Task.Run(() => KubernetesObjectParser.Parse("bomb.yaml", yaml.ToString())).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains("is an alias", file.FileError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}")]
    [InlineData("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: x}")]
    [InlineData("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}")]
    public void Parse_KindTheMeshDoesNotRead_IsSkippedQuietly(string yaml)
    {
        var document = Assert.Single(KubernetesObjectParser.Parse("f.yaml", yaml).Documents);

        Assert.Null(document.Rejection);
        Assert.True(Assert.IsType<IgnoredObject>(document.Value).Quiet);
    }

    [Fact]
    public void Parse_IstioKindNotSupportedYet_IsListedWithTheReason()
    {
        var document = Assert.Single(KubernetesObjectParser.Parse("f.yaml", "apiVersion: networking.istio.io/v1\nkind: WorkloadGroup\nmetadata: {name: a}").Documents);

        var ignored = Assert.IsType<IgnoredObject>(document.Value);
        Assert.False(ignored.Quiet);
        Assert.Contains("not supported yet", ignored.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PodNamespaceAndNode_AreRead()
    {
        var file = KubernetesObjectParser.Parse("f.yaml", """
            apiVersion: v1
            kind: Pod
            metadata: {name: echo-1, namespace: shop, labels: {app: echo, version: v2}}
            spec: {nodeName: n1, containers: [{name: c, image: i}]}
            status:
              podIP: 10.0.0.7
              phase: Running
              conditions: [{type: Ready, status: "True"}]
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {istio-injection: enabled}}
            ---
            apiVersion: v1
            kind: Node
            metadata: {name: n1, labels: {topology.kubernetes.io/region: r1, topology.kubernetes.io/zone: z1}}
            """);

        var pod = Assert.IsType<Mesh.Orleans.Silo.Sources.Objects.PodInfo>(file.Documents[0].Value);
        Assert.Equal(("10.0.0.7", "n1", "Running", true, "v2"), (pod.Ip, pod.NodeName, pod.Phase, pod.Ready, pod.Labels["version"]));
        Assert.Equal("enabled", Assert.IsType<Mesh.Orleans.Silo.Sources.Objects.NamespaceInfo>(file.Documents[1].Value).Labels["istio-injection"]);
        Assert.Equal(new Mesh.Orleans.Silo.Sources.Objects.NodeInfo("n1", "r1", "z1"), file.Documents[2].Value);
        Assert.Equal(string.Empty, file.Documents[2].Key!.Value.Namespace);
    }

    [Fact]
    public void Parse_PodWithABadIp_IsRejectedNamingTheField()
    {
        var document = Assert.Single(KubernetesObjectParser.Parse("f.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {podIP: nope}").Documents);

        Assert.Equal("status.podIP", document.Rejection!.Field);
    }

    [Fact]
    public void Parse_JsonAsTheApiServerSendsIt_IsRead()
    {
        var json = """{"apiVersion":"v1","kind":"Service","metadata":{"name":"echo","namespace":"shop","uid":"u","resourceVersion":"7","managedFields":[{"manager":"kubectl"}]},"spec":{"clusterIP":"10.0.0.1","type":"ClusterIP","ports":[{"name":"grpc","port":7000,"targetPort":7000,"protocol":"TCP"}]},"status":{"loadBalancer":{}}}""";

        var document = Assert.Single(KubernetesObjectParser.Parse("api", json).Documents);

        Assert.Equal(7000, Assert.IsType<MeshService>(document.Value).Ports.Single().Port);
    }

    [Theory]
    [InlineData("\"\\0x\"")]
    [InlineData("a..b")]
    [InlineData("-a.b")]
    [InlineData("a.*.b")]
    [InlineData("\"caf\u00e9.example\"")]
    public void Parse_VirtualServiceHostThatIsNoDnsName_IsRejected(string host)
    {
        var document = Assert.Single(KubernetesObjectParser.Parse("f.yaml", $"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: v}}\nspec: {{hosts: [{host}], http: [{{route: [{{destination: {{host: a}}}}]}}]}}").Documents);

        Assert.Equal("spec.hosts[0]", document.Rejection!.Field);
    }

    [Theory]
    [InlineData("*.example.com")]
    [InlineData("reviews")]
    [InlineData("Reviews-2.demo.svc.cluster.local")]
    public void Parse_VirtualServiceHostThatIsADnsName_IsAccepted(string host)
    {
        var document = Assert.Single(KubernetesObjectParser.Parse("f.yaml", $"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: v}}\nspec: {{hosts: [\"{host}\"], http: [{{route: [{{destination: {{host: a}}}}]}}]}}").Documents);

        Assert.Null(document.Rejection);
    }

    [Fact]
    public void Parse_ServiceWithSeveralBadPorts_ReportsEveryProblem()
    {
        var document = Assert.Single(KubernetesObjectParser.Parse("f.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{name: a, port: 0}, {name: b, port: 80}, {name: c, port: 99999}, {name: 'D!', port: 81}]}").Documents);

        Assert.Equal("spec.ports[0].port", document.Rejection!.Field);
        Assert.Contains("and 2 more", document.Rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.ports[2].port", document.Rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.ports[3].name", document.Rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SliceWithABadPortAndABadEndpoint_ReportsBoth()
    {
        var document = Assert.Single(KubernetesObjectParser.Parse("f.yaml", """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: s, labels: {kubernetes.io/service-name: e}}
            addressType: IPv4
            ports: [{name: grpc, port: 70000}]
            endpoints: [{addresses: ["127.0.0.1"]}, {addresses: ["not-an-ip"]}]
            """).Documents);

        Assert.Equal("ports[0].port", document.Rejection!.Field);
        Assert.Contains("endpoints[1].addresses[0]", document.Rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_VirtualServiceWithABadHostAndABadRoute_ReportsBoth()
    {
        var document = Assert.Single(KubernetesObjectParser.Parse("f.yaml",
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {hosts: [ok, 'b..d'], http: [{route: [{destination: {host: a}}], timeout: forever}]}").Documents);

        Assert.Equal("spec.hosts[1]", document.Rejection!.Field);
        Assert.Contains("spec.http[0].timeout", document.Rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ObjectWithAThousandProblems_ListsABoundedNumber()
    {
        var endpoints = string.Join(", ", Enumerable.Range(0, 1000).Select(i => $"{{addresses: [\"bad{i}\"]}}"));
        var document = Assert.Single(KubernetesObjectParser.Parse("f.yaml",
            $"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {{name: s, labels: {{kubernetes.io/service-name: e}}}}\naddressType: IPv4\nendpoints: [{endpoints}]").Documents);

        Assert.Contains("and 999 more", document.Rejection!.Reason, StringComparison.Ordinal);
        Assert.Contains("(980 not listed)", document.Rejection.Reason, StringComparison.Ordinal);
        Assert.True(document.Rejection.Reason.Length < 4000, $"the reason has {document.Rejection.Reason.Length} characters");
    }
}
