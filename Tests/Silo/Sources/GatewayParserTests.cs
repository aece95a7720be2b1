using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Yaml;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// Gateways as Istio's documentation writes them (bookinfo's ingress gateway, SNI passthrough,
/// the east-west gateway's AUTO_PASSTHROUGH), and the cases Istio's gateway validation
/// (<c>ValidateGateway</c>, <c>validateServer</c>, <c>validateServerPort</c>,
/// <c>validateServerBind</c>, <c>validateTLSOptions</c>) accepts and refuses.
/// </summary>
public sealed class GatewayParserTests
{
    [Fact]
    public void BookinfoGateway_IsValid_AndHandedToTheMesh()
    {
        var document = Parse("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: bookinfo-gateway, namespace: bookinfo}
            spec:
              selector:
                istio: ingressgateway
              servers:
              - port: {number: 8080, name: http, protocol: HTTP}
                hosts: ["*"]
            """);

        Assert.Null(document.Rejection);
        var gateway = Assert.IsType<GatewaySpec>(document.Value);
        Assert.Equal(("bookinfo", "bookinfo-gateway", 8080), (gateway.Namespace, gateway.Name, gateway.Servers.Single().PortNumber));
    }

    [Fact]
    public void Servers_AreReadIntoTheModel_HostsSplitAndProtocolInIstiosSpelling()
    {
        var gateway = Read("""
            selector: {app: my-gateway-controller}
            servers:
            - port: {number: 80, name: http, protocol: http}
              hosts: [uk.bookinfo.com, "./Eu.Bookinfo.com", "ns1/*.example.com"]
              tls: {httpsRedirect: true}
            - port: {number: 443, name: tls, protocol: tls}
              name: passthrough
              bind: 10.0.0.1
              hosts: ["*/nginx.example.com"]
              tls: {mode: PASSTHROUGH, minProtocolVersion: TLSV1_2}
            """, ns: "some-config-namespace");

        Assert.Equal(new Dictionary<string, string> { ["app"] = "my-gateway-controller" }, gateway.Selector);
        var http = gateway.Servers[0];
        Assert.Equal((80, "http", "HTTP", (string?)null, (string?)null), (http.PortNumber, http.PortName, http.Protocol, http.Bind, http.Name));
        Assert.Equal(
            [new GatewayHostSpec("*", "uk.bookinfo.com"), new GatewayHostSpec("some-config-namespace", "eu.bookinfo.com"), new GatewayHostSpec("ns1", "*.example.com")],
            http.Hosts);
        Assert.True(http.Tls!.HttpsRedirect);
        Assert.Equal("PASSTHROUGH", http.Tls.Mode);
        var tls = gateway.Servers[1];
        Assert.Equal((443, "tls", "TLS", "10.0.0.1", "passthrough"), (tls.PortNumber, tls.PortName, tls.Protocol, tls.Bind, tls.Name));
        Assert.Equal("TLSV1_2", tls.Tls!.MinProtocolVersion);
    }

    [Theory]
    [InlineData("sni passthrough", "{servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: [nginx.example.com], tls: {mode: PASSTHROUGH}}]}")]
    [InlineData("east-west auto passthrough", "{selector: {istio: eastwestgateway}, servers: [{port: {number: 15443, name: tls, protocol: TLS}, hosts: ['*.local'], tls: {mode: AUTO_PASSTHROUGH}}]}")]
    [InlineData("https passthrough", "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a.example.com], tls: {mode: PASSTHROUGH}}]}")]
    [InlineData("empty selector: every gateway workload", "{selector: {}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]}")]
    [InlineData("an IP as host", "{servers: [{port: {number: 7, name: http, protocol: HTTP}, hosts: [1.1.1.1]}]}")]
    [InlineData("namespace prefixes", "{servers: [{port: {number: 7, name: http, protocol: HTTP}, hosts: [ns1/foo.bar.com, '*/foo.bar.com', ./foo.bar.com, 'prod/*']}]}")]
    [InlineData("bind to an IP", "{servers: [{port: {number: 7, name: http, protocol: HTTP}, hosts: [foo.bar.com], bind: 127.0.0.1}]}")]
    [InlineData("bind to an abstract unix socket, port 0", "{servers: [{port: {number: 0, name: http, protocol: HTTP}, hosts: [foo.bar.com], bind: 'unix://@foobar'}]}")]
    [InlineData("every protocol, any case", "{servers: [{port: {number: 1, name: a, protocol: grpc-web}, hosts: [a.b]}, {port: {number: 2, name: b, protocol: Http2}, hosts: [a.b]}, {port: {number: 3, name: c, protocol: GRPC}, hosts: [a.b]}, {port: {number: 4, name: d, protocol: mongo}, hosts: [a.b]}, {port: {number: 5, name: e, protocol: tcp}, hosts: [a.b]}]}")]
    [InlineData("https redirect on an HTTPS server (Istio only warns)", "{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [bar.com], tls: {httpsRedirect: true}}]}")]
    [InlineData("certificates on a passthrough server (Istio only warns)", "{servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: [bar.com], tls: {mode: PASSTHROUGH, credentialName: ignored}}]}")]
    public void ValidGateway_IsAccepted(string what, string spec)
    {
        var document = Parse($"apiVersion: networking.istio.io/v1beta1\nkind: Gateway\nmetadata: {{name: gw, namespace: shop}}\nspec: {spec}\n");

        Assert.True(document.Rejection is null, $"{what}: {document.Rejection?.Field}: {document.Rejection?.Reason}");
        Assert.NotEmpty(Assert.IsType<GatewaySpec>(document.Value).Servers);
    }

    [Theory]
    [InlineData("{}", "spec.servers", "at least one server")]
    [InlineData("{servers: []}", "spec.servers", "at least one server")]
    [InlineData("{servers: [{port: {number: 80, name: http, protocol: HTTP}}]}", "spec.servers[0].hosts", "is required")]
    [InlineData("{servers: [{hosts: [a.b]}]}", "spec.servers[0].port", "is required")]
    [InlineData("{servers: [{port: {number: 66000, name: http, protocol: HTTP}, hosts: [a.b]}]}", "spec.servers[0].port.number", "between 0 and 65535")]
    [InlineData("{servers: [{port: {name: http, protocol: HTTP}, hosts: [a.b]}]}", "spec.servers[0].port.number", "is required")]
    [InlineData("{servers: [{port: {number: 80, name: http, protocol: kafka}, hosts: [a.b]}]}", "spec.servers[0].port.protocol", "not a supported protocol")]
    [InlineData("{servers: [{port: {number: 80, name: http}, hosts: [a.b]}]}", "spec.servers[0].port.protocol", "is required")]
    [InlineData("{servers: [{port: {number: 80, protocol: HTTP}, hosts: [a.b]}]}", "spec.servers[0].port.name", "is required")]
    [InlineData("{servers: [{port: {number: 80, name: http, protocol: HTTP, targetPort: 8080}, hosts: [a.b]}]}", "spec.servers[0].port.targetPort", "no effect on a Gateway")]
    [InlineData("{servers: [{port: {number: 80, name: foo, protocol: HTTP}, hosts: [foo.bar.com]}, {port: {number: 8080, name: foo, protocol: HTTP}, hosts: [scooby.doo.com]}]}", "spec.servers[1].port.name", "must be unique")]
    [InlineData("{servers: [{name: s, port: {number: 80, name: a, protocol: HTTP}, hosts: [a.b]}, {name: s, port: {number: 81, name: b, protocol: HTTP}, hosts: [a.b]}]}", "spec.servers[1].name", "must be unique")]
    [InlineData("{servers: [{port: {number: 7, name: http, protocol: HTTP}, hosts: [foo.*.bar.com]}]}", "spec.servers[0].hosts[0]", "not a valid host")]
    [InlineData("{servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: ['*bar.com'], tls: {mode: PASSTHROUGH}}]}", "spec.servers[0].hosts[0]", "partial wildcard")]
    [InlineData("{servers: [{port: {number: 7, name: http, protocol: HTTP}, hosts: [foo]}]}", "spec.servers[0].hosts[0]", "short name")]
    [InlineData("{servers: [{port: {number: 7, name: http, protocol: HTTP}, hosts: [~/foo.bar.com]}]}", "spec.servers[0].hosts[0]", "Gateway API")]
    [InlineData("{servers: [{port: {number: 7, name: http, protocol: HTTP}, hosts: [ns1/foo.*.bar.com]}]}", "spec.servers[0].hosts[0]", "not a valid host")]
    [InlineData("{servers: [{port: {number: 7, name: http, protocol: HTTP}, hosts: [Bad_NS/foo.bar.com]}]}", "spec.servers[0].hosts[0]", "DNS label")]
    [InlineData("{servers: [{port: {number: 7, name: http, protocol: HTTP}, hosts: [/foo.bar.com]}]}", "spec.servers[0].hosts[0]", "may be empty")]
    [InlineData("{servers: [{port: {number: 0, name: http, protocol: HTTP}, hosts: [foo.bar.com], bind: foo.bar}]}", "spec.servers[0].bind", "not an IP address")]
    [InlineData("{servers: [{port: {number: 7, name: http, protocol: HTTP}, hosts: [foo.bar.com], bind: 'unix://@foobar'}]}", "spec.servers[0].port.number", "must be 0")]
    [InlineData("{servers: [{port: {number: 0, name: http, protocol: HTTP}, hosts: [foo.bar.com], bind: 'unix://relative/path'}]}", "spec.servers[0].bind", "absolute path")]
    [InlineData("{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [foo.bar.com]}]}", "spec.servers[0].tls", "is required on a HTTPS server")]
    [InlineData("{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [foo.bar.com], tls: {serverCertificate: /etc/cert.pem}}]}", "spec.servers[0].tls", "only set httpsRedirect")]
    [InlineData("{servers: [{port: {number: 27017, name: mongo, protocol: MONGO}, hosts: [foo.bar.com], tls: {mode: PASSTHROUGH}}]}", "spec.servers[0].tls", "cannot have TLS settings")]
    [InlineData("{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a.b], tls: {mode: SIMPLE, credentialName: cert}}]}", "spec.servers[0].tls.mode", "needs certificates, which the security issue brings")]
    [InlineData("{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a.b], tls: {mode: MUTUAL, credentialName: cert}}]}", "spec.servers[0].tls.mode", "needs certificates")]
    [InlineData("{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a.b], tls: {mode: ISTIO_MUTUAL}}]}", "spec.servers[0].tls.mode", "needs certificates")]
    [InlineData("{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [a.b], tls: {mode: OPTIONAL_MUTUAL, credentialName: cert}}]}", "spec.servers[0].tls.mode", "needs certificates")]
    [InlineData("{servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: [a.b], tls: {mode: passthrough}}]}", "spec.servers[0].tls.mode", "must be one of")]
    [InlineData("{servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: [a.b], tls: {credentialName: a, serverCertificate: c, privateKey: k}}]}", "spec.servers[0].tls", "only one of")]
    [InlineData("{servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: [a.b], tls: {credentialName: a, caCrl: /crl.pem}}]}", "spec.servers[0].tls.caCrl", "credentialName")]
    [InlineData("{servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: [a.b], tls: {credentialNames: [a, b, c]}}]}", "spec.servers[0].tls.credentialNames", "at most 2")]
    [InlineData("{servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: [a.b], tls: {minProtocolVersion: TLSV9}}]}", "spec.servers[0].tls.minProtocolVersion", "must be one of")]
    [InlineData("{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [a.b], defaultEndpoint: '127.0.0.1:8080'}]}", "spec.servers[0].defaultEndpoint", "not implemented")]
    [InlineData("{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [a.b], cors: {}}]}", "spec.servers[0].cors", "not a known field")]
    [InlineData("{selector: {'-bad': x}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [a.b]}]}", "spec.selector[-bad]", "not a label name")]
    public void InvalidGateway_IsRejectedWithTheOffendingField(string spec, string field, string reason)
    {
        var document = Parse($"apiVersion: networking.istio.io/v1alpha3\nkind: Gateway\nmetadata: {{name: gw, namespace: shop}}\nspec: {spec}\n");

        var rejection = Assert.IsType<RejectedObject>(document.Rejection);
        Assert.Equal(("Gateway", "shop", "gw"), (rejection.Kind, rejection.Namespace, rejection.Name));
        Assert.Equal(field, rejection.Field);
        Assert.Contains(reason, rejection.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(KubernetesObjectParser.ValidatorFailure, rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void GatewayNameWithADot_IsRejected_AsIstioRequiresADnsLabel()
    {
        var document = Parse("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: my.gateway}\nspec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]}\n");

        Assert.Equal("metadata.name", document.Rejection!.Field);
    }

    [Fact]
    public void EveryProblemOfAGateway_IsReported()
    {
        var document = Parse("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw}
            spec:
              servers:
              - port: {number: 99999, name: http, protocol: HTTP}
                hosts: [foo, "bar.com"]
              - port: {number: 443, name: http, protocol: HTTPS}
                hosts: ["*bar.com"]
            """);

        var rejection = document.Rejection!;
        Assert.Equal("spec.servers[0].hosts[0]", rejection.Field);
        Assert.Contains("and 4 more", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.servers[0].port.number", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.servers[1].hosts[0]", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.servers[1].tls", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.servers[1].port.name", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownVersionOfTheKind_IsRejected()
    {
        var document = Parse("apiVersion: networking.istio.io/v2\nkind: Gateway\nmetadata: {name: gw}\nspec: {}\n");

        Assert.Equal("apiVersion", document.Rejection!.Field);
    }

    private static ParsedDocument Parse(string yaml) => Assert.Single(KubernetesObjectParser.Parse("gw.yaml", yaml).Documents);

    private static GatewaySpec Read(string spec, string ns)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader("spec:\n" + string.Join('\n', spec.Split('\n').Select(line => "  " + line))));
        return GatewayParser.Parse((YamlMappingNode)stream.Documents[0].RootNode, ns, "gw");
    }
}
