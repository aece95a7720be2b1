using System.Text;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// Sidecars as Istio's documentation writes them (a namespace-wide default, a workload-selected
/// one with ingress listeners, the root namespace's), the cases Istio's <c>ValidateSidecar</c>
/// (pkg/config/validation/validation.go) accepts and refuses, each refusal naming its field and
/// reason, and hostile input: huge lists, deep nesting, values of the wrong type.
/// </summary>
public sealed class SidecarParserTests
{
    [Fact]
    public void NamespaceDefault_FromIstiosDocs_IsReadIntoTheModel()
    {
        // Istio's Sidecar reference: "a Sidecar configuration in the prod-us1 namespace that
        // overrides the global default ... and configures the sidecars in the namespace to allow
        // egress traffic to public services in the prod-us1, prod-apis, and the istio-system namespaces".
        var sidecar = Read("""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: prod-us1, creationTimestamp: "2024-05-01T10:00:00Z"}
            spec:
              egress:
              - hosts: ["prod-us1/*", "prod-apis/*", "istio-system/*", "./Api.Example.COM"]
              outboundTrafficPolicy: {mode: REGISTRY_ONLY}
            """);

        Assert.Equal(("prod-us1", "default"), (sidecar.Namespace, sidecar.Name));
        Assert.Null(sidecar.WorkloadSelector);
        var egress = Assert.Single(sidecar.Egress);
        Assert.Null(egress.Port);
        Assert.Equal(["prod-us1/*", "prod-apis/*", "istio-system/*", "./api.example.com"], egress.Hosts);
        Assert.Empty(sidecar.Ingress);
        Assert.Equal("REGISTRY_ONLY", sidecar.OutboundTrafficPolicy);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero), sidecar.CreationTimestamp);
    }

    [Fact]
    public void WorkloadSelected_WithIngressAndEgressListeners_IsReadIntoTheModel()
    {
        // Istio's Sidecar reference: the ratings workload with an ingress listener on 9080
        // forwarding to a Unix socket, and egress to port 9080 of prod-us1 plus everything in istio-system.
        var sidecar = Read("""
            apiVersion: networking.istio.io/v1beta1
            kind: Sidecar
            metadata: {name: ratings, namespace: prod-us1}
            spec:
              workloadSelector:
                labels: {app: ratings}
              ingress:
              - port: {number: 9080, protocol: HTTP, name: somename}
                defaultEndpoint: unix:///var/run/someuds.sock
                connectionPool: {http: {http1MaxPendingRequests: 10}}
              - port: {number: 9443, protocol: HTTPS}
                bind: 0.0.0.0
                defaultEndpoint: "[::1]:8443"
                captureMode: IPTABLES
              egress:
              - port: {number: 9080, protocol: HTTP, name: egresshttp}
                hosts: ["prod-us1/*"]
              - port: {number: 0}
                bind: unix:///var/run/app.sock
                captureMode: NONE
                hosts: ["*/db.example.com"]
              - hosts: ["istio-system/*"]
              inboundConnectionPool: {tcp: {maxConnections: 100}}
            """);

        Assert.Equal(new Dictionary<string, string> { ["app"] = "ratings" }, sidecar.WorkloadSelector);
        Assert.Equal(new SidecarPortSpec(9080, "HTTP", "somename"), sidecar.Ingress[0].Port);
        Assert.Equal("unix:///var/run/someuds.sock", sidecar.Ingress[0].DefaultEndpoint);
        Assert.Equal(10, sidecar.Ingress[0].ConnectionPool!.Http1MaxPendingRequests);
        Assert.Equal(("0.0.0.0", "[::1]:8443", "IPTABLES"), (sidecar.Ingress[1].Bind, sidecar.Ingress[1].DefaultEndpoint, sidecar.Ingress[1].CaptureMode));
        Assert.Equal(new SidecarPortSpec(9080, "HTTP", "egresshttp"), sidecar.Egress[0].Port);
        Assert.Equal(("unix:///var/run/app.sock", "NONE"), (sidecar.Egress[1].Bind, sidecar.Egress[1].CaptureMode));
        Assert.Null(sidecar.Egress[2].Port);
        Assert.Equal(100, sidecar.InboundConnectionPool!.MaxConnections);
        Assert.Null(sidecar.OutboundTrafficPolicy);
    }

    [Theory]
    [InlineData("Istio's 'default': egress to ./* and istio-system/*", "{egress: [{hosts: ['./*', 'istio-system/*']}]}")]
    [InlineData("Istio's 'import nothing'", "{egress: [{hosts: ['~/*']}]}")]
    [InlineData("Istio's 'import all except a namespace'", "{egress: [{hosts: ['*/*', '~ns1/*']}]}")]
    [InlineData("Istio's 'import all except an exact host'", "{egress: [{hosts: ['*/*', '~/foo.com']}]}")]
    [InlineData("exclusion in the own namespace", "{egress: [{hosts: ['*/*', '~./*.internal.example.com']}]}")]
    [InlineData("an outbound traffic policy alone", "{outboundTrafficPolicy: {mode: ALLOW_ANY}}")]
    [InlineData("an inbound connection pool alone", "{inboundConnectionPool: {http: {maxRequestsPerConnection: 1}}}")]
    [InlineData("a workload selector without labels (Istio only warns)", "{workloadSelector: {}, egress: [{hosts: ['./*']}]}")]
    [InlineData("a port without a name or protocol (sniffed)", "{egress: [{port: {number: 8080}, hosts: ['./*']}]}")]
    [InlineData("HTTP_PROXY on an egress port", "{egress: [{port: {number: 3128, protocol: http_proxy}, hosts: ['*/*']}]}")]
    [InlineData("duplicated egress hosts (Istio only warns)", "{egress: [{hosts: ['ns/*', 'ns/a.example.com', '*/*']}]}")]
    [InlineData("ingress to :port and [::]:port", "{ingress: [{port: {number: 80}, defaultEndpoint: ':8080'}, {port: {number: 81}, defaultEndpoint: '[::]:8081'}]}")]
    [InlineData("an abstract unix socket", "{egress: [{port: {number: 0}, bind: 'unix://@abstract', hosts: ['*/*']}]}")]
    public void ValidSidecar_IsAccepted(string what, string spec)
    {
        var document = Parse($"apiVersion: networking.istio.io/v1alpha3\nkind: Sidecar\nmetadata: {{name: sc, namespace: shop}}\nspec: {spec}\n");

        Assert.True(document.Rejection is null, $"{what}: {document.Rejection?.Field}: {document.Rejection?.Reason}");
        Assert.IsType<SidecarSpec>(document.Value);
    }

    [Theory]
    [InlineData("{}", "spec", "is empty")]
    [InlineData("{egress: []}", "spec", "is empty")]
    [InlineData("{egress: [{hosts: ['*']}]}", "spec.egress[0].hosts[0]", "namespace/dnsName")]
    [InlineData("{egress: [{hosts: ['/']}]}", "spec.egress[0].hosts[0]", "may be empty")]
    [InlineData("{egress: [{hosts: []}]}", "spec.egress[0].hosts", "at least one")]
    [InlineData("{egress: [{port: {number: 80}}]}", "spec.egress[0].hosts", "is required")]
    [InlineData("{egress: [{hosts: ['*/*', '~Invalid_NS/*']}]}", "spec.egress[0].hosts[1]", "DNS label")]
    [InlineData("{egress: [{hosts: ['ns/foo']}]}", "spec.egress[0].hosts[0]", "short name")]
    [InlineData("{egress: [{hosts: ['ns/*foo.com']}]}", "spec.egress[0].hosts[0]", "partial wildcard")]
    [InlineData("{egress: [{hosts: ['ns/foo.*.com']}]}", "spec.egress[0].hosts[0]", "not a valid host")]
    [InlineData("{egress: [{hosts: ['./*']}, {hosts: ['*/*']}]}", "spec.egress[0].port", "only one egress listener without a port")]
    [InlineData("{egress: [{hosts: ['./*']}, {port: {number: 80}, hosts: ['*/*']}]}", "spec.egress[0].port", "must be the last one")]
    [InlineData("{egress: [{port: {number: 80}, hosts: ['./*']}, {port: {number: 80, protocol: TCP}, hosts: ['*/*']}]}", "spec.egress[1].port.number", "used by spec.egress[0]")]
    [InlineData("{egress: [{port: {number: 0}, bind: 'unix:///a.sock', hosts: ['./*']}, {port: {number: 0}, bind: 'unix:///a.sock', hosts: ['*/*']}]}", "spec.egress[1].bind", "used by spec.egress[0]")]
    [InlineData("{egress: [{port: {number: 0}, hosts: ['./*']}]}", "spec.egress[0].bind", "Unix domain socket")]
    [InlineData("{egress: [{port: {number: 0}, bind: 'unix://relative.sock', hosts: ['./*']}]}", "spec.egress[0].bind", "absolute path")]
    [InlineData("{egress: [{port: {number: 0}, bind: 'unix:///a.sock', captureMode: IPTABLES, hosts: ['./*']}]}", "spec.egress[0].captureMode", "DEFAULT or NONE")]
    [InlineData("{egress: [{port: {number: 80}, bind: 'not-an-ip', hosts: ['./*']}]}", "spec.egress[0].bind", "not an IP address")]
    [InlineData("{egress: [{port: {number: 65536}, hosts: ['./*']}]}", "spec.egress[0].port.number", "between 0 and 65535")]
    [InlineData("{egress: [{port: {number: 80, protocol: FTP}, hosts: ['./*']}]}", "spec.egress[0].port.protocol", "not a supported protocol")]
    [InlineData("{egress: [{port: {number: 80, name: Bad_Name}, hosts: ['./*']}]}", "spec.egress[0].port.name", "DNS label")]
    [InlineData("{egress: [{port: {number: 80, targetPort: 8080}, hosts: ['./*']}]}", "spec.egress[0].port.targetPort", "no effect on a Sidecar")]
    [InlineData("{egress: [{captureMode: SOMETIMES, hosts: ['./*']}]}", "spec.egress[0].captureMode", "DEFAULT, IPTABLES, NONE")]
    [InlineData("{egress: [{hosts: ['./*'], tls: {}}]}", "spec.egress[0].tls", "not a known field")]
    [InlineData("{ingress: [{defaultEndpoint: '127.0.0.1:8080'}]}", "spec.ingress[0].port", "is required")]
    [InlineData("{ingress: [{port: {number: 0}}]}", "spec.ingress[0].port.number", "is required")]
    [InlineData("{ingress: [{port: {number: 80, protocol: HTTP_PROXY}}]}", "spec.ingress[0].port.protocol", "not a supported protocol")]
    [InlineData("{ingress: [{port: {number: 80}}, {port: {number: 80}}]}", "spec.ingress[1].port.number", "used by spec.ingress[0]")]
    [InlineData("{ingress: [{port: {number: 80}, defaultEndpoint: '1.1.1.1:8080'}]}", "spec.ingress[0].defaultEndpoint", "own workload")]
    [InlineData("{ingress: [{port: {number: 80}, defaultEndpoint: '[1::1]:8080'}]}", "spec.ingress[0].defaultEndpoint", "own workload")]
    [InlineData("{ingress: [{port: {number: 80}, defaultEndpoint: '127.0.0.1:hi'}]}", "spec.ingress[0].defaultEndpoint", "1 to 65535")]
    [InlineData("{ingress: [{port: {number: 80}, defaultEndpoint: '127.0.0.1:70000'}]}", "spec.ingress[0].defaultEndpoint", "1 to 65535")]
    [InlineData("{ingress: [{port: {number: 80}, defaultEndpoint: '127.0.0.1'}]}", "spec.ingress[0].defaultEndpoint", "must be 127.0.0.1:PORT")]
    [InlineData("{ingress: [{port: {number: 80}, defaultEndpoint: 'unix://'}]}", "spec.ingress[0].defaultEndpoint", "needs a path")]
    [InlineData("{ingress: [{port: {number: 80}, bind: 'unix:///a.sock'}]}", "spec.ingress[0].bind", "not an IP address")]
    [InlineData("{ingress: [{port: {number: 443, protocol: HTTPS}, tls: {mode: SIMPLE}}]}", "spec.ingress[0].tls", "needs certificates")]
    [InlineData("{ingress: [{port: {number: 80}, connectionPool: {http: {h2UpgradePolicy: SOMETIMES}}}]}", "spec.ingress[0].connectionPool.http.h2UpgradePolicy", "DEFAULT, DO_NOT_UPGRADE or UPGRADE")]
    [InlineData("{inboundConnectionPool: {udp: {}}}", "spec.inboundConnectionPool.udp", "not a known field")]
    [InlineData("{outboundTrafficPolicy: {mode: ALLOW_ANY, egressProxy: {host: foo.bar, port: {number: 443}}}}", "spec.outboundTrafficPolicy.egressProxy", "egressProxy")]
    [InlineData("{outboundTrafficPolicy: {mode: ALLOW_ANY_DYNAMIC_DNS}}", "spec.outboundTrafficPolicy.mode", "mesh-wide mode only")]
    [InlineData("{outboundTrafficPolicy: {mode: allow_any}}", "spec.outboundTrafficPolicy.mode", "ALLOW_ANY or REGISTRY_ONLY")]
    [InlineData("{workloadSelector: {labels: {app: '*'}}, egress: [{hosts: ['./*']}]}", "spec.workloadSelector.labels[app]", "not a label value")]
    [InlineData("{workloadSelector: {matchLabels: {app: a}}, egress: [{hosts: ['./*']}]}", "spec.workloadSelector.matchLabels", "not a known field")]
    [InlineData("{egressListeners: []}", "spec.egressListeners", "not a known field")]
    public void InvalidSidecar_IsRejectedWithTheOffendingField(string spec, string field, string reason)
    {
        var document = Parse($"apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {{name: sc, namespace: shop}}\nspec: {spec}\n");

        var rejection = Assert.IsType<RejectedObject>(document.Rejection);
        Assert.Equal(("Sidecar", "shop", "sc"), (rejection.Kind, rejection.Namespace, rejection.Name));
        Assert.Equal(field, rejection.Field);
        Assert.Contains(reason, rejection.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(KubernetesObjectParser.ValidatorFailure, rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void OutboundTrafficPolicyWithoutMode_IsRegistryOnly_AsIstiosEnumZeroIs()
    {
        var sidecar = Read("apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: sc}\nspec: {outboundTrafficPolicy: {}}\n");

        Assert.Equal("REGISTRY_ONLY", sidecar.OutboundTrafficPolicy);
    }

    [Fact]
    public void EveryProblemOfASidecar_IsReported()
    {
        var document = Parse("""
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: sc}
            spec:
              ingress:
              - port: {number: 99999}
              egress:
              - hosts: [foo, "*/*"]
              - port: {number: 80}
                hosts: ["bar/x.com"]
              outboundTrafficPolicy: {mode: SOMETIMES}
            """);

        var rejection = document.Rejection!;
        Assert.Equal("spec.ingress[0].port.number", rejection.Field);
        Assert.Contains("and 3 more", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.egress[0].port", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.egress[0].hosts[0]", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.outboundTrafficPolicy.mode", rejection.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("metadata: {name: Bad_Name}\nspec: {egress: [{hosts: ['./*']}]}", "metadata.name")]
    [InlineData("metadata: {name: sc, creationTimestamp: yesterday}\nspec: {egress: [{hosts: ['./*']}]}", "metadata.creationTimestamp")]
    [InlineData("metadata: {name: sc}", "spec")]
    public void BadMetadataOrMissingSpec_IsRejected(string rest, string field)
    {
        var document = Parse("apiVersion: networking.istio.io/v1\nkind: Sidecar\n" + rest + "\n");

        Assert.Equal(field, document.Rejection!.Field);
    }

    [Fact]
    public void UnknownVersionOfTheKind_IsRejected()
    {
        var document = Parse("apiVersion: networking.istio.io/v2\nkind: Sidecar\nmetadata: {name: sc}\nspec: {egress: [{hosts: ['./*']}]}\n");

        Assert.Equal("apiVersion", document.Rejection!.Field);
    }

    [Theory]
    [InlineData("{egress: {hosts: ['./*']}}", "spec.egress", "must be a list")]
    [InlineData("{egress: [{hosts: './*'}]}", "spec.egress[0].hosts", "must be a list")]
    [InlineData("{egress: ['./*']}", "spec.egress[0]", "must be a mapping")]
    [InlineData("{egress: [null]}", "spec.egress[0]", "must be a mapping")]
    [InlineData("{egress: [{hosts: [{ns: a}]}]}", "spec.egress[0].hosts[0]", "non-empty string")]
    [InlineData("{egress: [{hosts: [[a, b]]}]}", "spec.egress[0].hosts[0]", "non-empty string")]
    [InlineData("{egress: [{port: 80, hosts: ['./*']}]}", "spec.egress[0].port", "must be a mapping")]
    [InlineData("{egress: [{port: {number: '80'}, hosts: ['./*']}]}", "spec.egress[0].port.number", "must be an integer")]
    [InlineData("{egress: [{port: {number: 1e3}, hosts: ['./*']}]}", "spec.egress[0].port.number", "must be an integer")]
    [InlineData("{egress: [{port: {number: -1}, hosts: ['./*']}]}", "spec.egress[0].port.number", "between 0 and 65535")]
    [InlineData("{egress: [{port: {number: 99999999999999999999}, hosts: ['./*']}]}", "spec.egress[0].port.number", "must be an integer")]
    [InlineData("{egress: [{bind: [a], hosts: ['./*']}]}", "spec.egress[0].bind", "must be a string")]
    [InlineData("{workloadSelector: {labels: [app]}, egress: [{hosts: ['./*']}]}", "spec.workloadSelector.labels", "must be a mapping")]
    [InlineData("{workloadSelector: {labels: {app: {x: y}}}, egress: [{hosts: ['./*']}]}", "spec.workloadSelector.labels[app]", "must be a string")]
    [InlineData("{outboundTrafficPolicy: ALLOW_ANY}", "spec.outboundTrafficPolicy", "must be a mapping")]
    [InlineData("{ingress: [{port: {number: 80}, defaultEndpoint: {host: a}}]}", "spec.ingress[0].defaultEndpoint", "must be a string")]
    public void ValueOfTheWrongType_IsRejectedWithTheField(string spec, string field, string reason)
    {
        var document = Parse($"apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {{name: sc}}\nspec: {spec}\n");

        var rejection = Assert.IsType<RejectedObject>(document.Rejection);
        Assert.Equal(field, rejection.Field);
        Assert.Contains(reason, rejection.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(KubernetesObjectParser.ValidatorFailure, rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeHostList_IsRejectedByCount_NotRead()
    {
        var hosts = string.Join(", ", Enumerable.Range(0, SidecarParser.MaxHosts + 1).Select(i => $"'ns{i}/*'"));

        var document = Parse($"apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {{name: sc}}\nspec: {{egress: [{{hosts: [{hosts}]}}]}}\n");

        Assert.Equal("spec.egress[0].hosts", document.Rejection!.Field);
        Assert.Contains($"at most {SidecarParser.MaxHosts}", document.Rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeListenerList_IsRejectedByCount()
    {
        var listeners = string.Join(", ", Enumerable.Range(1, SidecarParser.MaxListeners + 1).Select(i => $"{{port: {{number: {i}}}}}"));

        var document = Parse($"apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {{name: sc}}\nspec: {{ingress: [{listeners}]}}\n");

        Assert.Equal("spec.ingress", document.Rejection!.Field);
    }

    [Fact]
    public void ManyBadHosts_GiveOneBoundedReason()
    {
        var hosts = string.Join(", ", Enumerable.Range(0, 500).Select(i => $"'bad{i}'"));

        var document = Parse($"apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {{name: sc}}\nspec: {{egress: [{{hosts: [{hosts}]}}]}}\n");

        Assert.Equal("spec.egress[0].hosts[0]", document.Rejection!.Field);
        Assert.Contains("and 499 more", document.Rejection.Reason, StringComparison.Ordinal);
        Assert.True(document.Rejection.Reason.Length < 10_000, $"the reason is {document.Rejection.Reason.Length} characters");
    }

    [Fact]
    public void DeepNestingInsideASidecar_IsRejectedWithoutOverflowingTheStack()
    {
        var deep = new StringBuilder("apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: sc}\nspec: {egress: [{hosts: ");
        deep.Append('[', 10_000).Append(']', 10_000).Append("}]}\n");

        var file = KubernetesObjectParser.Parse("sc.yaml", deep.ToString());

        Assert.Contains("nested deeper", file.FileError, StringComparison.Ordinal);
    }

    [Fact]
    public void HostileLongHost_IsRejectedWithATruncatedValue()
    {
        var longHost = "ns/" + new string('a', 5000) + ".com";

        var document = Parse($"apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {{name: sc}}\nspec: {{egress: [{{hosts: ['{longHost}']}}]}}\n");

        Assert.Equal("spec.egress[0].hosts[0]", document.Rejection!.Field);
        Assert.True(document.Rejection.Reason.Length < 500, $"the reason is {document.Rejection.Reason.Length} characters");
    }

    private static ParsedDocument Parse(string yaml) => Assert.Single(KubernetesObjectParser.Parse("sc.yaml", yaml).Documents);

    private static SidecarSpec Read(string yaml)
    {
        var document = Parse(yaml);
        Assert.True(document.Rejection is null, $"{document.Rejection?.Field}: {document.Rejection?.Reason}");
        return Assert.IsType<SidecarSpec>(document.Value);
    }
}
