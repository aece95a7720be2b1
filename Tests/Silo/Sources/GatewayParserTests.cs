using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Yaml;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// Gateways as Istio's documentation writes them (bookinfo's ingress gateway, SNI passthrough,
/// the east-west gateway's AUTO_PASSTHROUGH), and the cases Istio's gateway validation
/// (<c>ValidateGateway</c>, <c>validateServer</c>, <c>validateServerPort</c>,
/// <c>validateServerBind</c>, <c>validateTLSOptions</c>, the CRD's list bounds) accepts and
/// refuses, with each TLS mode's valid shapes and hostile input.
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
    [InlineData("{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [a.b], tls: {mode: SIMPLE, credentialName: cert}}]}", "spec.servers[0].tls.mode", "only set httpsRedirect, not terminate TLS with SIMPLE")]
    [InlineData("{servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [a.b], tls: {httpsRedirect: true, mode: MUTUAL, credentialName: cert}}]}", "spec.servers[0].tls.mode", "only set httpsRedirect")]
    [InlineData("{servers: [{port: {number: 80, name: grpc, protocol: GRPC}, hosts: [a.b], tls: {mode: ISTIO_MUTUAL}}]}", "spec.servers[0].tls.mode", "only set httpsRedirect")]
    [InlineData("{servers: [{port: {number: 9000, name: tcp, protocol: TCP}, hosts: [a.b], tls: {mode: SIMPLE, credentialName: cert}}]}", "spec.servers[0].tls", "cannot have TLS settings")]
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

    [Theory]
    [InlineData("simple, one Secret", "HTTPS", "{mode: SIMPLE, credentialName: bookinfo-credential}")]
    [InlineData("simple, an RSA and an ECDSA Secret", "HTTPS", "{mode: SIMPLE, credentialNames: [rsa-credential, ecdsa-credential]}")]
    [InlineData("simple, files", "HTTPS", "{mode: SIMPLE, serverCertificate: /etc/certs/server.pem, privateKey: /etc/certs/key.pem}")]
    [InlineData("simple, files and a CA Istio ignores", "HTTPS", "{mode: SIMPLE, serverCertificate: /c.pem, privateKey: /k.pem, caCertificates: /ca.pem}")]
    [InlineData("simple on a TLS server: terminates TLS, routes TCP", "TLS", "{mode: SIMPLE, credentialName: cert}")]
    [InlineData("simple, a Secret and a lone file Istio ignores", "HTTPS", "{mode: SIMPLE, credentialName: cert, serverCertificate: /c.pem}")]
    [InlineData("simple, subjectAltNames Istio allows", "HTTPS", "{mode: SIMPLE, credentialName: cert, subjectAltNames: [spiffe://a/b]}")]
    [InlineData("simple, a version range", "HTTPS", "{mode: SIMPLE, credentialName: cert, minProtocolVersion: TLSV1_2, maxProtocolVersion: TLSV1_3}")]
    [InlineData("simple, one version pinned", "HTTPS", "{mode: SIMPLE, credentialName: cert, minProtocolVersion: TLSV1_3, maxProtocolVersion: TLSV1_3}")]
    [InlineData("simple, TLS_AUTO is not compared", "HTTPS", "{mode: SIMPLE, credentialName: cert, minProtocolVersion: TLSV1_3, maxProtocolVersion: TLS_AUTO}")]
    [InlineData("simple, TLS 1.0 without ciphers (Istio only warns)", "HTTPS", "{mode: SIMPLE, credentialName: cert, minProtocolVersion: TLSV1_0}")]
    [InlineData("simple, unknown and repeated ciphers (Istio only warns)", "HTTPS", "{mode: SIMPLE, credentialName: cert, cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256, NOT-A-CIPHER, '-AES256']}")]
    [InlineData("mutual, one Secret: the CA comes from it or NAME-cacert", "HTTPS", "{mode: MUTUAL, credentialName: cert}")]
    [InlineData("mutual, a CA Secret of its own", "HTTPS", "{mode: MUTUAL, credentialName: cert, caCertCredentialName: client-ca}")]
    [InlineData("mutual, two Secrets and a CA Secret", "HTTPS", "{mode: MUTUAL, credentialNames: [rsa, ecdsa], caCertCredentialName: client-ca}")]
    [InlineData("mutual, files and a CRL", "HTTPS", "{mode: MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem, caCertificates: /ca.pem, caCrl: /crl.pem}")]
    [InlineData("mutual, pinned clients", "HTTPS", "{mode: MUTUAL, credentialName: cert, subjectAltNames: [client.example.com], verifyCertificateSpki: ['47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='], verifyCertificateHash: [e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855, 'E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55']}")]
    [InlineData("optional mutual, one Secret", "HTTPS", "{mode: OPTIONAL_MUTUAL, credentialName: cert}")]
    [InlineData("optional mutual, files", "TLS", "{mode: OPTIONAL_MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem, caCertificates: /ca.pem}")]
    [InlineData("istio mutual", "HTTPS", "{mode: ISTIO_MUTUAL}")]
    [InlineData("istio mutual, what Istio allows beside it", "TLS", "{mode: ISTIO_MUTUAL, subjectAltNames: [spiffe://cluster.local/ns/a/sa/b], caCrl: /crl.pem, caCertCredentialName: ignored}")]
    [InlineData("passthrough, tlsCertificates ignored (Istio only warns)", "TLS", "{mode: PASSTHROUGH, tlsCertificates: [{serverCertificate: /c.pem, privateKey: /k.pem}]}")]
    [InlineData("passthrough, pins ignored", "TLS", "{mode: PASSTHROUGH, verifyCertificateHash: [not-hex]}")]
    [InlineData("auto passthrough, a version range Istio ignores", "TLS", "{mode: AUTO_PASSTHROUGH, minProtocolVersion: TLSV1_3, maxProtocolVersion: TLSV1_2}")]
    [InlineData("http with a redirect and a Secret Istio ignores", "HTTP", "{httpsRedirect: true, credentialName: cert}")]
    [InlineData("an empty credentialName is no credentialName", "HTTPS", "{mode: SIMPLE, credentialName: '', serverCertificate: /c.pem, privateKey: /k.pem}")]
    public void ValidTls_IsAccepted(string what, string protocol, string tls)
    {
        var document = Parse(Server(protocol, tls));

        Assert.True(document.Rejection is null, $"{what}: {document.Rejection?.Field}: {document.Rejection?.Reason}");
        Assert.NotNull(Assert.IsType<GatewaySpec>(document.Value).Servers.Single().Tls);
    }

    [Theory]
    [InlineData("{mode: SIMPLE}", "spec.servers[0].tls.credentialName", "is required (or credentialNames, or serverCertificate and privateKey): SIMPLE terminates TLS")]
    [InlineData("{mode: SIMPLE, credentialName: ''}", "spec.servers[0].tls.credentialName", "SIMPLE terminates TLS and needs a certificate")]
    [InlineData("{mode: SIMPLE, credentialName: ~}", "spec.servers[0].tls.credentialName", "needs a certificate")]
    [InlineData("{mode: SIMPLE, serverCertificate: /c.pem}", "spec.servers[0].tls.privateKey", "is required beside serverCertificate")]
    [InlineData("{mode: SIMPLE, privateKey: /k.pem}", "spec.servers[0].tls.serverCertificate", "is required beside privateKey")]
    [InlineData("{mode: SIMPLE, caCertCredentialName: ca}", "spec.servers[0].tls.credentialName", "needs a certificate")]
    [InlineData("{mode: MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem}", "spec.servers[0].tls.caCertificates", "is required: MUTUAL verifies client certificates")]
    [InlineData("{mode: MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem, caCertCredentialName: ca}", "spec.servers[0].tls.caCertificates", "is required")]
    [InlineData("{mode: OPTIONAL_MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem}", "spec.servers[0].tls.caCertificates", "OPTIONAL_MUTUAL verifies client certificates")]
    [InlineData("{mode: MUTUAL, caCertificates: /ca.pem}", "spec.servers[0].tls.credentialName", "MUTUAL terminates TLS and needs a certificate")]
    [InlineData("{mode: ISTIO_MUTUAL, serverCertificate: /c.pem}", "spec.servers[0].tls.serverCertificate", "must be left out with ISTIO_MUTUAL")]
    [InlineData("{mode: ISTIO_MUTUAL, privateKey: /k.pem}", "spec.servers[0].tls.privateKey", "must be left out with ISTIO_MUTUAL")]
    [InlineData("{mode: ISTIO_MUTUAL, caCertificates: /ca.pem}", "spec.servers[0].tls.caCertificates", "must be left out with ISTIO_MUTUAL")]
    [InlineData("{mode: ISTIO_MUTUAL, credentialName: cert}", "spec.servers[0].tls.credentialName", "must be left out with ISTIO_MUTUAL")]
    [InlineData("{mode: ISTIO_MUTUAL, credentialNames: [a, b]}", "spec.servers[0].tls.credentialNames", "must be left out with ISTIO_MUTUAL")]
    [InlineData("{mode: ISTIO_MUTUAL, tlsCertificates: [{serverCertificate: /c.pem, privateKey: /k.pem}]}", "spec.servers[0].tls.tlsCertificates", "must be left out with ISTIO_MUTUAL")]
    [InlineData("{mode: SIMPLE, tlsCertificates: [{serverCertificate: /c.pem, privateKey: /k.pem}]}", "spec.servers[0].tls.tlsCertificates", "tlsCertificates is not supported yet; use credentialName(s) or serverCertificate/privateKey")]
    [InlineData("{mode: MUTUAL, caCertificates: /ca.pem, tlsCertificates: [{serverCertificate: /c.pem, privateKey: /k.pem}, {serverCertificate: /e.pem, privateKey: /f.pem}]}", "spec.servers[0].tls.tlsCertificates", "not supported yet")]
    [InlineData("{mode: SIMPLE, tlsCertificates: []}", "spec.servers[0].tls.tlsCertificates", "at least one certificate")]
    [InlineData("{mode: SIMPLE, tlsCertificates: [{serverCertificate: /a}, {serverCertificate: /b}, {serverCertificate: /c}]}", "spec.servers[0].tls.tlsCertificates", "at most 2")]
    [InlineData("{mode: SIMPLE, credentialName: a, credentialNames: [b]}", "spec.servers[0].tls", "only one of credentialName, credentialNames, serverCertificate/privateKey and tlsCertificates may be set, not credentialName and credentialNames")]
    [InlineData("{mode: MUTUAL, credentialName: a, serverCertificate: /c.pem, privateKey: /k.pem, caCertificates: /ca.pem}", "spec.servers[0].tls", "only one of")]
    [InlineData("{mode: SIMPLE, credentialName: a, caCrl: /crl.pem}", "spec.servers[0].tls.caCrl", "cannot be used with credentialName")]
    [InlineData("{mode: MUTUAL, credentialNames: [a, b], caCrl: /crl.pem}", "spec.servers[0].tls.caCrl", "cannot be used with credentialNames")]
    [InlineData("{mode: SIMPLE, serverCertificate: /c.pem, privateKey: /k.pem, caCrl: /crl.pem}", "spec.servers[0].tls.caCrl", "not supported with SIMPLE")]
    [InlineData("{mode: SIMPLE, credentialNames: [a, a]}", "spec.servers[0].tls.credentialNames[1]", "the same Secret as credentialNames[0]")]
    [InlineData("{mode: SIMPLE, credentialNames: []}", "spec.servers[0].tls.credentialNames", "one or two Secrets")]
    [InlineData("{mode: SIMPLE, credentialNames: [a, b, c]}", "spec.servers[0].tls.credentialNames", "has 3 items; at most 2")]
    [InlineData("{mode: SIMPLE, credentialNames: ['', b]}", "spec.servers[0].tls.credentialNames[0]", "non-empty string")]
    [InlineData("{mode: SIMPLE, credentialNames: [[a]]}", "spec.servers[0].tls.credentialNames[0]", "non-empty string")]
    [InlineData("{mode: SIMPLE, credentialNames: a}", "spec.servers[0].tls.credentialNames", "must be a list")]
    [InlineData("{mode: SIMPLE, credentialName: [a]}", "spec.servers[0].tls.credentialName", "must be a string")]
    [InlineData("{mode: SIMPLE, credentialName: {name: a}}", "spec.servers[0].tls.credentialName", "must be a string")]
    [InlineData("{mode: MUTUAL, credentialName: a, caCertCredentialName: [b]}", "spec.servers[0].tls.caCertCredentialName", "must be a string")]
    [InlineData("{mode: MUTUAL, credentialName: a, verifyCertificateSpki: abc}", "spec.servers[0].tls.verifyCertificateSpki", "must be a list")]
    [InlineData("{mode: MUTUAL, credentialName: a, verifyCertificateSpki: [abc]}", "spec.servers[0].tls.verifyCertificateSpki[0]", "not a base64-encoded SHA-256")]
    [InlineData("{mode: MUTUAL, credentialName: a, verifyCertificateSpki: ['AAAA']}", "spec.servers[0].tls.verifyCertificateSpki[0]", "not a base64-encoded SHA-256")]
    [InlineData("{mode: OPTIONAL_MUTUAL, credentialName: a, verifyCertificateHash: [e3b0c442]}", "spec.servers[0].tls.verifyCertificateHash[0]", "not a hex-encoded SHA-256")]
    [InlineData("{mode: MUTUAL, credentialName: a, verifyCertificateHash: [zzb0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855]}", "spec.servers[0].tls.verifyCertificateHash[0]", "not a hex-encoded SHA-256")]
    [InlineData("{mode: SIMPLE, credentialName: a, minProtocolVersion: TLSV1_3, maxProtocolVersion: TLSV1_2}", "spec.servers[0].tls.maxProtocolVersion", "TLSV1_2 is below minProtocolVersion TLSV1_3")]
    [InlineData("{mode: SIMPLE, credentialName: a, maxProtocolVersion: TLSV1_4}", "spec.servers[0].tls.maxProtocolVersion", "must be one of")]
    [InlineData("{mode: SIMPLE, credentialName: a, cipherSuites: ECDHE-RSA-AES128-GCM-SHA256}", "spec.servers[0].tls.cipherSuites", "must be a list")]
    [InlineData("{mode: simple, credentialName: a}", "spec.servers[0].tls.mode", "must be one of")]
    [InlineData("{mode: [SIMPLE], credentialName: a}", "spec.servers[0].tls.mode", "must be a string")]
    [InlineData("{mode: SIMPLE, credentialName: a, httpsRedirect: 'yes'}", "spec.servers[0].tls.httpsRedirect", "must be true or false")]
    [InlineData("{mode: SIMPLE, credentialName: a, ecdhCurves: [P-256]}", "spec.servers[0].tls.ecdhCurves", "not supported yet")]
    [InlineData("{mode: MUTUAL, credentialName: a, insecureSkipVerify: true}", "spec.servers[0].tls.insecureSkipVerify", "not supported yet")]
    [InlineData("{mode: SIMPLE, credentialName: a, sni: a.b}", "spec.servers[0].tls.sni", "not a known field")]
    [InlineData("[SIMPLE]", "spec.servers[0].tls", "must be a mapping")]
    public void InvalidTls_IsRejectedWithTheOffendingField(string tls, string field, string reason)
    {
        var document = Parse(Server("HTTPS", tls));

        var rejection = Assert.IsType<RejectedObject>(document.Rejection);
        Assert.Equal(field, rejection.Field);
        Assert.Contains(reason, rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TerminatingTls_IsReadIntoTheModel()
    {
        var gateway = Read("""
            servers:
            - port: {number: 443, name: https, protocol: HTTPS}
              hosts: [a.example.com]
              tls:
                mode: MUTUAL
                credentialNames: [rsa, ecdsa]
                caCertCredentialName: client-ca
                subjectAltNames: [client.example.com]
                verifyCertificateSpki: ["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]
                verifyCertificateHash: []
                minProtocolVersion: TLSV1_2
                maxProtocolVersion: TLSV1_3
                cipherSuites: [ECDHE-ECDSA-AES256-GCM-SHA384]
            - port: {number: 8443, name: files, protocol: TLS}
              hosts: [b.example.com]
              tls: {mode: SIMPLE, serverCertificate: /etc/certs/server.pem, privateKey: /etc/certs/key.pem}
            - port: {number: 15443, name: mesh, protocol: TLS}
              hosts: [c.example.com]
              tls: {mode: ISTIO_MUTUAL}
            - port: {number: 9443, name: sni, protocol: TLS}
              hosts: [d.example.com]
              tls: {mode: PASSTHROUGH}
            """, ns: "shop");

        var mutual = gateway.Servers[0].Tls!;
        Assert.True(mutual.Terminates);
        Assert.Equal(("MUTUAL", (string?)null, "client-ca"), (mutual.Mode, mutual.CredentialName, mutual.CaCertCredentialName));
        Assert.Equal(["rsa", "ecdsa"], mutual.CredentialNames);
        Assert.Equal(["client.example.com"], mutual.SubjectAltNames);
        Assert.Equal(["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="], mutual.VerifyCertificateSpki!);
        Assert.Empty(mutual.VerifyCertificateHash!);
        Assert.Equal(("TLSV1_2", "TLSV1_3"), (mutual.MinProtocolVersion, mutual.MaxProtocolVersion));
        Assert.Equal(["ECDHE-ECDSA-AES256-GCM-SHA384"], mutual.CipherSuites);
        var files = gateway.Servers[1].Tls!;
        Assert.Equal(("SIMPLE", "/etc/certs/server.pem", "/etc/certs/key.pem", (string?)null), (files.Mode, files.ServerCertificate, files.PrivateKey, files.CaCertificates));
        Assert.True(files.Terminates);
        Assert.True(gateway.Servers[2].Tls!.Terminates);
        Assert.False(gateway.Servers[3].Tls!.Terminates);
    }

    [Fact]
    public void EveryTlsProblemOfAServer_IsReported()
    {
        var document = Parse(Server("HTTPS", "{mode: ISTIO_MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem, credentialName: cert}"));

        var rejection = document.Rejection!;
        Assert.Equal("spec.servers[0].tls.serverCertificate", rejection.Field);
        Assert.Contains("and 2 more", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.servers[0].tls.privateKey", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.servers[0].tls.credentialName", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TerminatingModeOnAPlainHttpServer_IsReportedBesideItsCertificateProblem()
    {
        var document = Parse(Server("HTTP", "{mode: MUTUAL}"));

        var rejection = document.Rejection!;
        Assert.Equal("spec.servers[0].tls.caCertificates", rejection.Field);
        Assert.Contains("spec.servers[0].tls.credentialName", rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.servers[0].tls.mode", rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeStrings_AreNotEchoedWhole_InTheReason()
    {
        var huge = new string('a', 100_000);
        var pins = Parse(Server("HTTPS", $"{{mode: MUTUAL, credentialName: cert, verifyCertificateSpki: [{huge}]}}"));
        var istioMutual = Parse(Server("HTTPS", $"{{mode: ISTIO_MUTUAL, credentialName: {huge}}}"));
        var mode = Parse(Server("HTTPS", $"{{mode: {huge}}}"));

        Assert.Equal("spec.servers[0].tls.verifyCertificateSpki[0]", pins.Rejection!.Field);
        Assert.Equal("spec.servers[0].tls.credentialName", istioMutual.Rejection!.Field);
        Assert.Equal("spec.servers[0].tls.mode", mode.Rejection!.Field);
        Assert.All([pins, istioMutual, mode], d => Assert.InRange(d.Rejection!.Reason.Length, 1, 999));
    }

    [Fact]
    public void HugeCredentialName_IsKeptAsWritten_AsIstioSetsNoBound()
    {
        var huge = new string('a', 100_000);

        var document = Parse(Server("HTTPS", $"{{mode: SIMPLE, credentialName: {huge}}}"));

        Assert.Null(document.Rejection);
        Assert.Equal(huge, Assert.IsType<GatewaySpec>(document.Value).Servers.Single().Tls!.CredentialName);
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

    /// <summary>A Gateway with one server of <paramref name="protocol"/> whose <c>tls</c> is <paramref name="tls"/> (YAML flow style).</summary>
    private static string Server(string protocol, string tls) =>
        $"apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {{name: gw, namespace: shop}}\nspec: {{servers: [{{port: {{number: 443, name: p, protocol: {protocol}}}, hosts: [a.example.com], tls: {tls}}}]}}\n";

    private static ParsedDocument Parse(string yaml) => Assert.Single(KubernetesObjectParser.Parse("gw.yaml", yaml).Documents);

    private static GatewaySpec Read(string spec, string ns)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader("spec:\n" + string.Join('\n', spec.Split('\n').Select(line => "  " + line))));
        return GatewayParser.Parse((YamlMappingNode)stream.Documents[0].RootNode, ns, "gw");
    }
}
