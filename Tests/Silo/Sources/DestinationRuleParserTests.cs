using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// DestinationRules as Istio's documentation writes them (bookinfo's subsets, the traffic
/// management tasks' circuit breaker and sticky sessions), and the ways they go wrong.
/// </summary>
public sealed class DestinationRuleParserTests
{
    [Fact]
    public void BookinfoReviews_WithSubsetsAndACircuitBreaker_IsValid_AndRead()
    {
        var document = Parse("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer: {simple: LEAST_REQUEST}
                connectionPool:
                  tcp: {maxConnections: 1, connectTimeout: 30ms}
                  http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1, h2UpgradePolicy: UPGRADE}
                outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 3m, maxEjectionPercent: 100}
                tls: {mode: ISTIO_MUTUAL}
                portLevelSettings:
                - port: {number: 9080}
                  loadBalancer:
                    consistentHash:
                      httpCookie: {name: user, ttl: 0s}
              subsets:
              - name: v1
                labels: {version: v1}
              - name: v2
                labels: {version: v2}
                trafficPolicy:
                  loadBalancer: {simple: RANDOM}
              exportTo: [".", "istio-system"]
            """);

        Assert.Null(document.Rejection);
        var rule = Assert.IsType<Mesh.Orleans.Grains.Interfaces.Model.DestinationRuleSpec>(document.Value);
        Assert.Equal("reviews.bookinfo.svc.cluster.local", rule.Host);
        Assert.Equal(["v1", "v2"], rule.Subsets.Select(s => s.Name));
        Assert.Equal("v2", rule.Subsets[1].Labels["version"]);
        Assert.Equal("RANDOM", rule.Subsets[1].TrafficPolicy!.LoadBalancer!.Simple);
        Assert.Equal(9080, rule.TrafficPolicy!.PortLevelSettings.Single().Port);
        Assert.Null(rule.CreationTimestamp);
    }

    [Fact]
    public void LocalityLbSetting_FailoverAndEnabled_AreRead_AndTheDefaultReadsAsNone()
    {
        var document = Parse("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: r, namespace: shop}
            spec:
              host: r
              trafficPolicy:
                loadBalancer:
                  simple: ROUND_ROBIN
                  localityLbSetting:
                    enabled: true
                    failover:
                    - {from: us-east, to: eu-west}
                    - {from: eu-west, to: us-east}
                    - {from: us-east, to: ap-south}
                outlierDetection: {consecutive5xxErrors: 1}
              subsets:
              - name: off
                labels: {version: v1}
                trafficPolicy:
                  loadBalancer: {localityLbSetting: {enabled: false, failover: [{from: us-east, to: eu-west}]}}
              - name: default
                labels: {version: v2}
                trafficPolicy:
                  loadBalancer: {localityLbSetting: {enabled: true}}
            """);

        Assert.Null(document.Rejection);
        var rule = Assert.IsType<Mesh.Orleans.Grains.Interfaces.Model.DestinationRuleSpec>(document.Value);
        var policy = rule.TrafficPolicy!.LoadBalancer!.LocalityLb!;
        Assert.Equal("ROUND_ROBIN", rule.TrafficPolicy.LoadBalancer.Simple);
        Assert.True(policy.Enabled);

        // Only the first entry for a region counts, as in Istio.
        Assert.Equal([new("us-east", "eu-west"), new("eu-west", "us-east")], policy.Failover);
        Assert.Equal(Mesh.Orleans.Grains.Interfaces.Xds.LocalityLbPolicy.Disabled, rule.Subsets[0].TrafficPolicy!.LoadBalancer!.LocalityLb);
        Assert.NotNull(rule.Subsets[1].TrafficPolicy!.LoadBalancer);
        Assert.Null(rule.Subsets[1].TrafficPolicy!.LoadBalancer!.LocalityLb);
    }

    [Fact]
    public void LocalityDistribute_IsReadInOrder_WithItsWeights()
    {
        var document = Parse("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: r, namespace: shop}
            spec:
              host: r
              trafficPolicy:
                loadBalancer:
                  localityLbSetting:
                    distribute:
                    - from: us-west/zone1/*
                      to: {"us-west/zone1/*": 80, "us-west/zone2/*": 20}
                    - from: us-west/zone2/*
                      to: {"us-west/zone1/*": 20, "us-west/zone2/*": 80}
            """);

        Assert.Null(document.Rejection);
        var policy = Assert.IsType<Mesh.Orleans.Grains.Interfaces.Model.DestinationRuleSpec>(document.Value).TrafficPolicy!.LoadBalancer!.LocalityLb!;
        Assert.True(policy.Distributes);
        Assert.Equal(["us-west/zone1/*", "us-west/zone2/*"], policy.Distribute!.Select(d => d.From));
        Assert.Equal([new("us-west/zone1/*", 80u), new("us-west/zone2/*", 20u)], policy.Distribute![0].To);
        Assert.StartsWith("distribute;", policy.Canonical, StringComparison.Ordinal);
    }

    [Fact]
    public void CreationTimestamp_IsRead_AndOneThatIsNoTimeIsRejected()
    {
        var dated = Parse("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r, namespace: shop, creationTimestamp: '2026-11-20T10:00:00Z'}\nspec: {host: r}\n");
        var bad = Parse("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r, namespace: shop, creationTimestamp: yesterday}\nspec: {host: r}\n");

        Assert.Equal(new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero), Assert.IsType<Mesh.Orleans.Grains.Interfaces.Model.DestinationRuleSpec>(dated.Value).CreationTimestamp);
        Assert.Equal("metadata.creationTimestamp", bad.Rejection!.Field);
    }

    [Theory]
    [InlineData("{}", "spec.host", "is required")]
    [InlineData("{host: 'not a host'}", "spec.host", "is not a valid host")]
    [InlineData("{host: r, subsets: [{name: v1}, {name: v1}]}", "spec.subsets[1].name", "must be unique")]
    [InlineData("{host: r, subsets: [{name: V_1}]}", "spec.subsets[0].name", "")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {simple: FASTEST}}}", "spec.trafficPolicy.loadBalancer.simple", "must be one of")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {simple: RANDOM, consistentHash: {useSourceIp: true}}}}", "spec.trafficPolicy.loadBalancer", "not both")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, httpHeaderName: x-user}}}}", "spec.trafficPolicy.loadBalancer.consistentHash", "exactly one hash key")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {distribute: [{from: r1/*, to: {r1/*: 80, r2/*: 10}}]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to", "add up to 90")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {distribute: [{from: r1/*, to: {r1/*: 0, r2/*: 100}}]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to.r1/*", "between 1 and 100")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {distribute: [{from: r1/*, to: {r1/*: 50, r1/z1: 50}}]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to.r1/z1", "overlaps 'r1/*'")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {distribute: [{from: 'r1/*/z', to: {r1: 100}}]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].from", "last character")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {distribute: [{from: r1//z, to: {r1: 100}}]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].from", "empty region, zone or sub-zone")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {distribute: [{from: r1, to: {r1: 100}}, {from: r1/z1, to: {r2: 100}}]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[1].from", "overlaps 'r1'")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {distribute: [{from: r1, to: {r1: 100}}], failover: [{from: r1, to: r2}]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute", "together with failover")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {distribute: [{from: r1}]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to", "is required")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {distribute: [{from: r1, to: {r1: many}}]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to.r1", "integer")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {failoverPriority: [topology.kubernetes.io/region]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.failoverPriority", "not supported yet")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {enabled: maybe}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.enabled", "")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {failover: [{from: us-east}]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0].to", "is required")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {failover: [{from: us-east, to: eu-west}, {from: eu-west, to: eu-west}]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[1].to", "two different regions")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {failover: [{from: us-east/a, to: eu-west}]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0].from", "region alone")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {failover: [{from: us-east, to: 'eu-*'}]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0].to", "wildcard")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {localityLbSetting: {failover: [{from: us-east, to: eu-west, weight: 1}]}}}}", "spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0].weight", "is not a known field")]
    [InlineData("{host: r, subsets: [{name: v1, trafficPolicy: {loadBalancer: {localityLbSetting: {failover: [{from: a, to: a}]}}}}]}", "spec.subsets[0].trafficPolicy.loadBalancer.localityLbSetting.failover[0].to", "two different regions")]
    [InlineData("{host: r, trafficPolicy: {connectionPool: {tcp: {connectTimeout: soon}}}}", "spec.trafficPolicy.connectionPool.tcp.connectTimeout", "is not a duration")]
    [InlineData("{host: r, trafficPolicy: {connectionPool: {http: {maxRetries: -1}}}}", "spec.trafficPolicy.connectionPool.http.maxRetries", "must be between")]
    [InlineData("{host: r, trafficPolicy: {outlierDetection: {maxEjectionPercent: 101}}}", "spec.trafficPolicy.outlierDetection.maxEjectionPercent", "must be between 0 and 100")]
    [InlineData("{host: r, trafficPolicy: {tls: {mode: MUTUAL}}}", "spec.trafficPolicy.tls", "MUTUAL needs clientCertificate and privateKey")]
    [InlineData("{host: r, trafficPolicy: {tls: {mode: MUTUAL, clientCertificate: /c.pem}}}", "spec.trafficPolicy.tls", "MUTUAL needs clientCertificate and privateKey")]
    [InlineData("{host: r, trafficPolicy: {tls: {mode: ISTIO_MUTUAL, caCertificates: /ca.pem}}}", "spec.trafficPolicy.tls", "uses the mesh's certificates")]
    [InlineData("{host: r, trafficPolicy: {tls: {mode: SIMPLE, caCertificates: ca.pem}}}", "spec.trafficPolicy.tls.caCertificates", "absolute file path")]
    [InlineData("{host: r, trafficPolicy: {tls: {mode: SIMPLE, credentialName: api-cert}}}", "spec.trafficPolicy.tls.credentialName", "not supported yet")]
    [InlineData("{host: r, trafficPolicy: {tls: {mode: SIMPLE, sni: 'not a name'}}}", "spec.trafficPolicy.tls.sni", "not a DNS name")]
    [InlineData("{host: r, trafficPolicy: {tls: {mode: OPTIONAL}}}", "spec.trafficPolicy.tls.mode", "must be DISABLE, SIMPLE, MUTUAL or ISTIO_MUTUAL")]
    [InlineData("{host: r, trafficPolicy: {portLevelSettings: [{port: {number: 80}}, {port: {number: 80}}]}}", "spec.trafficPolicy.portLevelSettings[1].port.number", "earlier in the list")]
    [InlineData("{host: r, trafficPolicy: {portLevelSettings: [{loadBalancer: {simple: RANDOM}}]}}", "spec.trafficPolicy.portLevelSettings[0].port", "is required")]
    [InlineData("{host: r, trafficPolicy: {tunnel: {protocol: CONNECT}}}", "spec.trafficPolicy.tunnel", "not supported")]
    [InlineData("{host: r, exportTo: [Bad_Namespace]}", "spec.exportTo[0]", "")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 65536}}}}}", "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", "prime")]
    [InlineData("{host: r, trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, ringHash: {minimumRingSize: 9000000}}}}}", "spec.trafficPolicy.loadBalancer.consistentHash.ringHash.minimumRingSize", "")]
    [InlineData("{host: r, subsets: [{name: v1, labels: {version: [v1]}}]}", "spec.subsets[0].labels[version]", "")]
    public void InvalidRule_IsRejectedWithTheOffendingField(string spec, string field, string reason)
    {
        var document = Parse($"apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata: {{name: r, namespace: shop}}\nspec: {spec}\n");

        var rejection = Assert.IsType<Mesh.Orleans.Grains.Interfaces.Model.RejectedObject>(document.Rejection);
        Assert.Equal(("DestinationRule", "shop", "r"), (rejection.Kind, rejection.Namespace, rejection.Name));
        Assert.Equal(field, rejection.Field);
        Assert.Contains(reason, rejection.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(KubernetesObjectParser.ValidatorFailure, rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryProblemOfARule_IsReported()
    {
        var document = Parse("""
            apiVersion: networking.istio.io/v1alpha3
            kind: DestinationRule
            metadata: {name: r}
            spec:
              host: "bad host"
              subsets: [{name: v1}, {name: v1}]
              exportTo: ["Nope"]
            """);

        var reason = document.Rejection!.Reason;
        Assert.Contains("and 2 more", reason, StringComparison.Ordinal);
        Assert.Contains("spec.subsets[1].name", reason, StringComparison.Ordinal);
        Assert.Contains("spec.exportTo[0]", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownVersionOfTheKind_IsRejected()
    {
        var document = Parse("apiVersion: networking.istio.io/v2\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r}\n");

        Assert.Equal("apiVersion", document.Rejection!.Field);
    }

    [Fact]
    public void ClientTls_EveryModeAndField_IsReadIntoTheModel()
    {
        var document = Parse("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: external, namespace: shop}
            spec:
              host: api.example.com
              trafficPolicy:
                tls:
                  mode: MUTUAL
                  clientCertificate: /etc/certs/client.pem
                  privateKey: /etc/certs/key.pem
                  caCertificates: /etc/certs/ca.pem
                  caCrl: /etc/certs/crl.pem
                  sni: api.example.com
                  subjectAltNames: [api.example.com, spiffe://cluster.local/ns/shop/sa/api]
                portLevelSettings:
                - port: {number: 8443}
                  tls: {mode: SIMPLE, insecureSkipVerify: true}
            """);

        var rule = Assert.IsType<Mesh.Orleans.Grains.Interfaces.Model.DestinationRuleSpec>(document.Value);
        var tls = rule.TrafficPolicy!.Tls!;
        Assert.Equal(("MUTUAL", "api.example.com", "/etc/certs/client.pem", "/etc/certs/key.pem", "/etc/certs/ca.pem", "/etc/certs/crl.pem", false),
            (tls.Mode, tls.Sni, tls.ClientCertificate, tls.PrivateKey, tls.CaCertificates, tls.CaCrl, tls.InsecureSkipVerify));
        Assert.Equal(["api.example.com", "spiffe://cluster.local/ns/shop/sa/api"], tls.SubjectAltNames);
        Assert.Equal("MUTUAL", rule.TrafficPolicy.TlsMode);
        var port = Assert.Single(rule.TrafficPolicy.PortLevelSettings).Tls!;
        Assert.Equal(("SIMPLE", true), (port.Mode, port.InsecureSkipVerify));
    }

    private static ParsedDocument Parse(string yaml) => Assert.Single(KubernetesObjectParser.Parse("dr.yaml", yaml).Documents);
}
