using System.Text;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Yaml;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// VirtualServices as Istio's reference documents them (every field of HTTP, TCP and TLS
/// routes), and the ways Istio's validation refuses them, each naming its field.
/// </summary>
public sealed class VirtualServiceParserTests
{
    [Fact]
    public void EveryHttpField_IsRead()
    {
        var virtualService = Valid("""
            hosts: [reviews]
            exportTo: [".", istio-system]
            http:
            - name: canary
              match:
              - name: m1
                uri: {prefix: /api/}
                scheme: {exact: https}
                method: {exact: GET}
                authority: {regex: "rev.*"}
                headers: {X-User: {exact: jason}, x-present: {}}
                withoutHeaders: {x-debug: {regex: "*"}, x-env: {prefix: dev}}
                queryParams: {v: {exact: "2"}}
                port: 9080
                sourceLabels: {app: productpage, version: v1}
                sourceNamespace: front
                gateways: [mesh]
                ignoreUriCase: true
                statPrefix: canary-stats
              route:
              - destination: {host: reviews, subset: v2, port: {number: 9080}}
                weight: 75
                headers:
                  request: {set: {x-subset: v2}, add: {x-hop: "%HOSTNAME%"}, remove: [x-internal]}
                  response: {remove: [server]}
              - destination: {host: reviews, subset: v1}
                weight: 25
              timeout: 2.5s
              retries: {attempts: 3, perTryTimeout: 500ms, retryOn: "gateway-error,connect-failure,503", retryRemoteLocalities: true, retryIgnorePreviousHosts: false, backoff: 30ms}
              fault:
                delay: {fixedDelay: 5s, percentage: {value: 12.5}}
                abort: {grpcStatus: UNAVAILABLE, percentage: {value: 0.1}}
              mirror: {host: shadow}
              mirrorPercentage: {value: 50}
              headers:
                request: {set: {":authority": reviews.internal}}
                response: {add: {x-served-by: "%HOSTNAME%"}}
              corsPolicy:
                allowOrigins: [{exact: "https://example.com"}, {regex: "https://.*\\.example\\.org"}]
                allowMethods: [GET, POST]
                allowHeaders: [x-custom, authorization]
                exposeHeaders: ["*"]
                maxAge: 24h
                allowCredentials: true
                unmatchedPreflights: IGNORE
            - route: [{destination: {host: reviews}}]
              mirrors:
              - destination: {host: shadow-a, port: {number: 80}}
                percentage: {value: 10}
              - destination: {host: shadow-b, subset: v3}
              retries: {attempts: 0}
              timeout: 0s
            """);

        Assert.Equal(["reviews.default.svc.cluster.local"], virtualService.Hosts);
        Assert.Equal([".", "istio-system"], virtualService.ExportTo);
        Assert.True(virtualService.AppliesToMesh);
        var http = virtualService.Http[0];
        var match = Assert.Single(http.Match);
        Assert.Equal("m1", match.Name);
        Assert.Equal(new StringMatchSpec(StringMatchKind.Prefix, "/api/"), match.Uri);
        Assert.Equal(new StringMatchSpec(StringMatchKind.Exact, "https"), match.Scheme);
        Assert.Equal(new StringMatchSpec(StringMatchKind.Exact, "GET"), match.Method);
        Assert.Equal(new StringMatchSpec(StringMatchKind.Regex, "rev.*"), match.Authority);
        Assert.Equal([("x-present", StringMatchKind.Present, ""), ("x-user", StringMatchKind.Exact, "jason")], match.Headers.Select(h => (h.Name, h.Match.Kind, h.Match.Value)));
        Assert.Equal([("x-debug", StringMatchKind.Present), ("x-env", StringMatchKind.Prefix)], match.WithoutHeaders!.Select(h => (h.Name, h.Match.Kind)));
        Assert.Equal("2", Assert.Single(match.QueryParams!).Match.Value);
        Assert.Equal(9080, match.Port);
        Assert.Equal("productpage", match.SourceLabels!["app"]);
        Assert.Equal("front", match.SourceNamespace);
        Assert.Equal(["mesh"], match.Gateways);
        Assert.True(match.IgnoreUriCase);
        Assert.Equal("canary-stats", match.StatPrefix);

        Assert.Equal([("v2", 9080, 75), ("v1", (int?)null, 25)], http.Route.Select(d => (d.Subset!, d.Port, d.Weight)));
        Assert.Equal("v2", http.Route[0].Headers!.Request!.Set.Single().Value);
        Assert.Equal("%HOSTNAME%", http.Route[0].Headers!.Request!.Add.Single().Value);
        Assert.Equal(["x-internal"], http.Route[0].Headers!.Request!.Remove);
        Assert.Equal(["server"], http.Route[0].Headers!.Response!.Remove);
        Assert.Equal(TimeSpan.FromSeconds(2.5), http.Timeout);
        Assert.Equal(new HttpRetrySpec(3, TimeSpan.FromMilliseconds(500), "gateway-error,connect-failure,503", true, false, TimeSpan.FromMilliseconds(30)), http.Retries);
        Assert.Equal(new FaultDelaySpec(TimeSpan.FromSeconds(5), 12.5), http.Fault!.Delay);
        Assert.Equal(new FaultAbortSpec(null, 14, 0.1), http.Fault.Abort);
        Assert.Equal(new HttpMirrorSpec("shadow.default.svc.cluster.local", null, null, 50), Assert.Single(http.Mirrors!));
        Assert.Equal(":authority", http.Headers!.Request!.Set.Single().Name);
        Assert.Equal("x-served-by", http.Headers.Response!.Add.Single().Name);
        var cors = http.CorsPolicy!;
        Assert.Equal([StringMatchKind.Exact, StringMatchKind.Regex], cors.AllowOrigins.Select(o => o.Kind));
        Assert.Equal(["GET", "POST"], cors.AllowMethods);
        Assert.Equal(["x-custom", "authorization"], cors.AllowHeaders);
        Assert.Equal(["*"], cors.ExposeHeaders);
        Assert.Equal(TimeSpan.FromHours(24), cors.MaxAge);
        Assert.True(cors.AllowCredentials);
        Assert.Equal("IGNORE", cors.UnmatchedPreflights);

        var second = virtualService.Http[1];
        Assert.Equal(100, second.Route.Single().Weight);
        Assert.Equal([("shadow-a.default.svc.cluster.local", 10.0), ("shadow-b.default.svc.cluster.local", 100.0)], second.Mirrors!.Select(m => (m.Host, m.Percentage)));
        Assert.Equal("v3", second.Mirrors![1].Subset);
        Assert.Equal(0, second.Retries!.Attempts);
        Assert.Equal(TimeSpan.Zero, second.Timeout);
    }

    [Fact]
    public void RedirectDirectResponseAndRewrite_AreRead()
    {
        var virtualService = Valid("""
            hosts: [ratings.prod.svc.cluster.local]
            http:
            - match: [{uri: {exact: /v1/getProductRatings}}]
              redirect: {uri: /v1/bookRatings, authority: newratings.default.svc.cluster.local, port: 8443, scheme: https, redirectCode: 308}
            - match: [{uri: {prefix: /old/}}]
              redirect: {prefixRewrite: /new/, derivePort: FROM_REQUEST_PORT}
            - match: [{uri: {exact: /teapot}}]
              directResponse: {status: 418, body: {string: "short and stout"}}
            - match: [{uri: {exact: /bytes}}]
              directResponse: {status: 200, body: {bytes: aGVsbG8=}}
            - match: [{uri: {prefix: /wpcatalog}}]
              rewrite: {uri: /newcatalog, authority: catalog.internal}
              route: [{destination: {host: reviews}}]
            - rewrite: {uriRegexRewrite: {match: "^/service/([^/]+)(/.*)$", rewrite: "\\2/instance/\\1"}}
              route: [{destination: {host: reviews}}]
            """);

        Assert.Equal(new HttpRedirectSpec("/v1/bookRatings", "newratings.default.svc.cluster.local", 8443, null, "https", 308, null), virtualService.Http[0].Redirect);
        Assert.Empty(virtualService.Http[0].Route);
        Assert.Equal(new HttpRedirectSpec(null, null, null, "FROM_REQUEST_PORT", null, 301, "/new/"), virtualService.Http[1].Redirect);
        Assert.Equal((418, "short and stout"), (virtualService.Http[2].DirectResponse!.Status, virtualService.Http[2].DirectResponse!.BodyString));
        Assert.Equal("hello", Encoding.ASCII.GetString(virtualService.Http[3].DirectResponse!.BodyBytes!));
        Assert.Equal(new HttpRewriteSpec("/newcatalog", "catalog.internal", null, null), virtualService.Http[4].Rewrite);
        Assert.Equal(new HttpRewriteSpec(null, null, "^/service/([^/]+)(/.*)$", "\\2/instance/\\1"), virtualService.Http[5].Rewrite);
    }

    [Fact]
    public void RootAndDelegate_AreRead()
    {
        var root = Valid("""
            hosts: [reviews]
            http:
            - match: [{uri: {prefix: /productpage}}]
              delegate: {name: productpage, namespace: ns-a}
            - delegate: {name: reviews}
            """);
        var delegated = Valid("http: [{match: [{uri: {prefix: /productpage/v1/}}], route: [{destination: {host: productpage-v1}}]}]");

        Assert.Equal([new DelegateSpec("productpage", "ns-a"), new DelegateSpec("reviews", "default")], root.Http.Select(h => h.Delegate));
        Assert.True(delegated.IsDelegate);
        Assert.Empty(delegated.Hosts);
    }

    [Fact]
    public void TcpAndTlsRoutes_AreRead()
    {
        var virtualService = Valid("""
            hosts: ["*.bookinfo.com", mongo]
            tcp:
            - match:
              - port: 27017
                destinationSubnets: [10.1.0.0/16, "2001:db8::/32", 10.2.3.4]
                sourceSubnet: 10.0.0.0/8
                sourceLabels: {app: reviews}
                gateways: [mesh]
                sourceNamespace: shop
              route:
              - destination: {host: mongo.backup.svc.cluster.local, port: {number: 5555}}
                weight: 20
              - destination: {host: mongo}
                weight: 80
            tls:
            - match:
              - port: 443
                sniHosts: [login.bookinfo.com]
              route:
              - destination: {host: login.prod.svc.cluster.local}
            """);

        var tcp = Assert.Single(virtualService.Tcp!);
        var match = Assert.Single(tcp.Match);
        Assert.Equal(["10.1.0.0/16", "2001:db8::/32", "10.2.3.4"], match.DestinationSubnets);
        Assert.Equal((27017, "reviews", "shop", "10.0.0.0/8"), (match.Port!.Value, match.SourceLabels!["app"], match.SourceNamespace!, match.SourceSubnet!));
        Assert.Equal(["mesh"], match.Gateways);
        Assert.Equal([("mongo.backup.svc.cluster.local", 5555, 20), ("mongo.default.svc.cluster.local", (int?)null, 80)], tcp.Route.Select(d => (d.Host, d.Port, d.Weight)));
        var tls = Assert.Single(virtualService.Tls!);
        Assert.Equal(["login.bookinfo.com"], tls.Match.Single().SniHosts);
        Assert.Equal(443, tls.Match.Single().Port);
        Assert.Equal(100, tls.Route.Single().Weight);
    }

    [Fact]
    public void Gateways_AreKept_AndDecideWhetherTheMeshAppliesIt()
    {
        var both = Valid("hosts: [a]\ngateways: [mesh, istio-system/ingress, my-gateway]\nhttp: [{route: [{destination: {host: b}}]}]");
        var gatewayOnly = Valid("hosts: [\"*\"]\ngateways: [istio-system/ingress]\nhttp: [{route: [{destination: {host: b}}]}]");

        Assert.Equal(["mesh", "istio-system/ingress", "my-gateway"], both.Gateways);
        Assert.True(both.AppliesToMesh);
        Assert.False(gatewayOnly.AppliesToMesh);
        Assert.Equal(["*"], gatewayOnly.Hosts);
    }

    [Theory]
    // Top level.
    [InlineData("hosts: [a]", "spec.http", "at least one route")]
    [InlineData("hosts: [\"*\"]\nhttp: [{route: [{destination: {host: b}}]}]", "spec.hosts[0]", "not allowed for a VirtualService bound to the mesh")]
    [InlineData("hosts: [a, a.default.svc.cluster.local]\nhttp: [{route: [{destination: {host: b}}]}]", "spec.hosts[1]", "overlaps")]
    [InlineData("hosts: [\"*.example.com\", foo.example.com]\nhttp: [{route: [{destination: {host: b}}]}]", "spec.hosts[1]", "overlaps")]
    [InlineData("hosts: [a]\ngateways: [\"ns/Bad_Name\"]\nhttp: [{route: [{destination: {host: b}}]}]", "spec.gateways[0]", "namespace/name")]
    [InlineData("hosts: [a]\ngateways: [\"/gw\"]\nhttp: [{route: [{destination: {host: b}}]}]", "spec.gateways[0]", "namespace/name")]
    [InlineData("hosts: [a]\ngateways: [\"gw with space\"]\nhttp: [{route: [{destination: {host: b}}]}]", "spec.gateways[0]", "not a gateway name")]
    [InlineData("hosts: [a]\nexportTo: [\".\", default]\nhttp: [{route: [{destination: {host: b}}]}]", "spec.exportTo[1]", "both name this namespace")]
    [InlineData("hosts: [a]\nexportTo: [\"*\", other]\nhttp: [{route: [{destination: {host: b}}]}]", "spec.exportTo", "cannot be listed with other")]
    [InlineData("hosts: [a]\nexportTo: [\"~\"]\nhttp: [{route: [{destination: {host: b}}]}]", "spec.exportTo[0]", "DNS label")]
    [InlineData("gateways: [mesh]\nhttp: [{route: [{destination: {host: b}}]}]", "spec.gateways", "delegate")]
    [InlineData("tcp: [{route: [{destination: {host: b}}]}]", "spec.tcp", "delegate")]
    // Actions and their conflicts.
    [InlineData("hosts: [a]\nhttp: [{redirect: {uri: /x}, route: [{destination: {host: b}}]}]", "spec.http[0].route", "redirects")]
    [InlineData("hosts: [a]\nhttp: [{redirect: {uri: /x}, directResponse: {status: 200}}]", "spec.http[0].directResponse", "redirects")]
    [InlineData("hosts: [a]\nhttp: [{directResponse: {status: 503}, fault: {abort: {httpStatus: 500}}}]", "spec.http[0].fault", "directResponse")]
    [InlineData("hosts: [a]\nhttp: [{directResponse: {status: 200}, rewrite: {uri: /}}]", "spec.http[0].rewrite", "directResponse")]
    [InlineData("hosts: [a]\nhttp: [{delegate: {name: d}, route: [{destination: {host: b}}]}]", "spec.http[0].route", "delegate")]
    [InlineData("hosts: [a]\nhttp: [{delegate: {name: d}, redirect: {uri: /x}}]", "spec.http[0].redirect", "delegate")]
    [InlineData("http: [{delegate: {name: d}}]", "spec.http[0].delegate", "cannot delegate again")]
    [InlineData("hosts: [a]\nhttp: [{delegate: {namespace: x}}]", "spec.http[0].delegate.name", "is required")]
    [InlineData("hosts: [a]\nhttp: [{timeout: 1s}]", "spec.http[0].route", "is required")]
    [InlineData("hosts: [a]\nhttp: [{mirror: {host: m}, mirrors: [{destination: {host: n}}], route: [{destination: {host: b}}]}]", "spec.http[0].mirrors", "not both")]
    // Redirect.
    [InlineData("hosts: [a]\nhttp: [{redirect: {}}]", "spec.http[0].redirect", "must set uri")]
    [InlineData("hosts: [a]\nhttp: [{redirect: {uri: /a, prefixRewrite: /b}}]", "spec.http[0].redirect.prefixRewrite", "not both")]
    [InlineData("hosts: [a]\nhttp: [{match: [{uri: {exact: /a}}], redirect: {prefixRewrite: /b}}]", "spec.http[0].redirect.prefixRewrite", "prefix match")]
    [InlineData("hosts: [a]\nhttp: [{redirect: {uri: /a, redirectCode: 200}}]", "spec.http[0].redirect.redirectCode", "not a redirect code")]
    [InlineData("hosts: [a]\nhttp: [{redirect: {uri: /a, redirectCode: 305}}]", "spec.http[0].redirect.redirectCode", "Envoy cannot send")]
    [InlineData("hosts: [a]\nhttp: [{redirect: {scheme: ftp}}]", "spec.http[0].redirect.scheme", "http or https")]
    [InlineData("hosts: [a]\nhttp: [{redirect: {port: 70000}}]", "spec.http[0].redirect.port", "between 1 and 65535")]
    [InlineData("hosts: [a]\nhttp: [{redirect: {port: 80, derivePort: FROM_REQUEST_PORT}}]", "spec.http[0].redirect.derivePort", "not both")]
    [InlineData("hosts: [a]\nhttp: [{redirect: {derivePort: SOMEWHERE}}]", "spec.http[0].redirect.derivePort", "FROM_PROTOCOL_DEFAULT")]
    // Direct response.
    [InlineData("hosts: [a]\nhttp: [{directResponse: {}}]", "spec.http[0].directResponse.status", "is required")]
    [InlineData("hosts: [a]\nhttp: [{directResponse: {status: 199}}]", "spec.http[0].directResponse.status", "between 200 and 599")]
    [InlineData("hosts: [a]\nhttp: [{directResponse: {status: 200, body: {string: a, bytes: YQ==}}}]", "spec.http[0].directResponse.body", "not both")]
    [InlineData("hosts: [a]\nhttp: [{directResponse: {status: 200, body: {bytes: \"not base64!\"}}}]", "spec.http[0].directResponse.body.bytes", "base64")]
    // Rewrite.
    [InlineData("hosts: [a]\nhttp: [{rewrite: {}, route: [{destination: {host: b}}]}]", "spec.http[0].rewrite", "must set uri")]
    [InlineData("hosts: [a]\nhttp: [{rewrite: {uri: /a, uriRegexRewrite: {match: a, rewrite: b}}, route: [{destination: {host: b}}]}]", "spec.http[0].rewrite.uriRegexRewrite", "not both")]
    [InlineData("hosts: [a]\nhttp: [{rewrite: {uriRegexRewrite: {match: a}}, route: [{destination: {host: b}}]}]", "spec.http[0].rewrite.uriRegexRewrite.rewrite", "is required")]
    [InlineData("hosts: [a]\nhttp: [{rewrite: {uriRegexRewrite: {match: \"(?=a)\", rewrite: b}}, route: [{destination: {host: b}}]}]", "spec.http[0].rewrite.uriRegexRewrite.match", "RE2")]
    [InlineData("hosts: [a]\nhttp: [{rewrite: {authority: x}, headers: {request: {set: {host: y}}}, route: [{destination: {host: b}}]}]", "spec.http[0].headers.request", "authority is set more than once")]
    // Retries and timeouts.
    [InlineData("hosts: [a]\nhttp: [{retries: {attempts: -1}, route: [{destination: {host: b}}]}]", "spec.http[0].retries.attempts", "between 0 and")]
    [InlineData("hosts: [a]\nhttp: [{retries: {attempts: 0, retryOn: 5xx}, route: [{destination: {host: b}}]}]", "spec.http[0].retries.attempts", "retries disabled")]
    [InlineData("hosts: [a]\nhttp: [{retries: {attempts: 2, retryOn: \"5xx,sometimes\"}, route: [{destination: {host: b}}]}]", "spec.http[0].retries.retryOn", "'sometimes' is not a retry condition")]
    [InlineData("hosts: [a]\nhttp: [{retries: {attempts: 2, retryOn: \"599\"}, route: [{destination: {host: b}}]}]", "spec.http[0].retries.retryOn", "not a retry condition")]
    [InlineData("hosts: [a]\nhttp: [{retries: {attempts: 2, perTryTimeout: 100us}, route: [{destination: {host: b}}]}]", "spec.http[0].retries.perTryTimeout", "at least 1ms")]
    [InlineData("hosts: [a]\nhttp: [{timeout: 1.0005s, route: [{destination: {host: b}}]}]", "spec.http[0].timeout", "whole milliseconds")]
    // Fault.
    [InlineData("hosts: [a]\nhttp: [{fault: {delay: {percentage: {value: 5}}}, route: [{destination: {host: b}}]}]", "spec.http[0].fault.delay.fixedDelay", "is required")]
    [InlineData("hosts: [a]\nhttp: [{fault: {delay: {exponentialDelay: 1s}}, route: [{destination: {host: b}}]}]", "spec.http[0].fault.delay.exponentialDelay", "not supported")]
    [InlineData("hosts: [a]\nhttp: [{fault: {delay: {fixedDelay: 1s, percentage: {value: 101}}}, route: [{destination: {host: b}}]}]", "spec.http[0].fault.delay.percentage.value", "between 0.0001 and 100")]
    [InlineData("hosts: [a]\nhttp: [{fault: {delay: {fixedDelay: 1s, percentage: {value: 0.00001}}}, route: [{destination: {host: b}}]}]", "spec.http[0].fault.delay.percentage.value", "between 0.0001 and 100")]
    [InlineData("hosts: [a]\nhttp: [{fault: {delay: {fixedDelay: 1s, percent: 101}}, route: [{destination: {host: b}}]}]", "spec.http[0].fault.delay.percent", "between 0 and 100")]
    [InlineData("hosts: [a]\nhttp: [{fault: {abort: {percentage: {value: 5}}}, route: [{destination: {host: b}}]}]", "spec.http[0].fault.abort", "exactly one of httpStatus and grpcStatus")]
    [InlineData("hosts: [a]\nhttp: [{fault: {abort: {httpStatus: 700}}, route: [{destination: {host: b}}]}]", "spec.http[0].fault.abort.httpStatus", "between 200 and 599")]
    [InlineData("hosts: [a]\nhttp: [{fault: {abort: {grpcStatus: BROKEN}}, route: [{destination: {host: b}}]}]", "spec.http[0].fault.abort.grpcStatus", "not a gRPC status")]
    [InlineData("hosts: [a]\nhttp: [{fault: {abort: {http2Error: x}}, route: [{destination: {host: b}}]}]", "spec.http[0].fault.abort.http2Error", "not supported")]
    // Mirrors.
    [InlineData("hosts: [a]\nhttp: [{mirror: {host: m}, mirrorPercentage: {value: 101}, route: [{destination: {host: b}}]}]", "spec.http[0].mirrorPercentage.value", "between 0 and 100")]
    [InlineData("hosts: [a]\nhttp: [{mirror: {host: m}, mirrorPercent: 150, route: [{destination: {host: b}}]}]", "spec.http[0].mirrorPercent", "between 0 and 100")]
    [InlineData("hosts: [a]\nhttp: [{mirrors: [{percentage: {value: 5}}], route: [{destination: {host: b}}]}]", "spec.http[0].mirrors[0].destination", "is required")]
    [InlineData("hosts: [a]\nhttp: [{mirror: {host: \"*\"}, route: [{destination: {host: b}}]}]", "spec.http[0].mirror.host", "wildcard")]
    // Headers.
    [InlineData("hosts: [a]\nhttp: [{headers: {request: {set: {\":path\": /x}}}, route: [{destination: {host: b}}]}]", "spec.http[0].headers.request.set[:path]", "cannot be changed")]
    [InlineData("hosts: [a]\nhttp: [{headers: {request: {remove: [host]}}, route: [{destination: {host: b}}]}]", "spec.http[0].headers.request.remove[0]", "cannot be changed")]
    [InlineData("hosts: [a]\nhttp: [{headers: {response: {set: {host: x}}}, route: [{destination: {host: b}}]}]", "spec.http[0].headers.response.set[host]", "cannot be changed")]
    [InlineData("hosts: [a]\nhttp: [{headers: {response: {add: {x-a: \"50%\"}}}, route: [{destination: {host: b}}]}]", "spec.http[0].headers.response.add[x-a]", "%%")]
    [InlineData("hosts: [a]\nhttp: [{headers: {response: {add: {\"bad name\": x}}}, route: [{destination: {host: b}}]}]", "spec.http[0].headers.response.add[bad name]", "not a valid header name")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: b}, headers: {request: {set: {x: \"a\\u0001\"}}}}]}]", "spec.http[0].route[0].headers.request.set[x]", "control characters")]
    // CORS.
    [InlineData("hosts: [a]\nhttp: [{corsPolicy: {allowOrigins: [{}]}, route: [{destination: {host: b}}]}]", "spec.http[0].corsPolicy.allowOrigins[0]", "non-empty")]
    [InlineData("hosts: [a]\nhttp: [{corsPolicy: {allowMethods: [FETCH]}, route: [{destination: {host: b}}]}]", "spec.http[0].corsPolicy.allowMethods[0]", "not an HTTP method")]
    [InlineData("hosts: [a]\nhttp: [{corsPolicy: {allowHeaders: [\"a b\"]}, route: [{destination: {host: b}}]}]", "spec.http[0].corsPolicy.allowHeaders[0]", "not a valid header name")]
    [InlineData("hosts: [a]\nhttp: [{corsPolicy: {maxAge: 1500ms}, route: [{destination: {host: b}}]}]", "spec.http[0].corsPolicy.maxAge", "whole seconds")]
    [InlineData("hosts: [a]\nhttp: [{corsPolicy: {unmatchedPreflights: DROP}, route: [{destination: {host: b}}]}]", "spec.http[0].corsPolicy.unmatchedPreflights", "FORWARD or IGNORE")]
    // Matches.
    [InlineData("hosts: [a]\nhttp: [{match: [{headers: {\"@request.auth.claims.group\": {exact: a}}}], route: [{destination: {host: b}}]}]", "spec.http[0].match[0].headers[@request.auth.claims.group]", "JWT claims")]
    [InlineData("hosts: [a]\nhttp: [{match: [{headers: {\"a b\": {exact: a}}}], route: [{destination: {host: b}}]}]", "spec.http[0].match[0].headers[a b]", "not a valid header name")]
    [InlineData("hosts: [a]\nhttp: [{match: [{headers: {x: {regex: \"*\"}}}], route: [{destination: {host: b}}]}]", "spec.http[0].match[0].headers[x].regex", "not a valid regular expression")]
    [InlineData("hosts: [a]\nhttp: [{match: [{queryParams: {q: {prefix: \"\"}}}], route: [{destination: {host: b}}]}]", "spec.http[0].match[0].queryParams[q].prefix", "empty prefix")]
    [InlineData("hosts: [a]\nhttp: [{match: [{sourceNamespace: Front}], route: [{destination: {host: b}}]}]", "spec.http[0].match[0].sourceNamespace", "DNS label")]
    [InlineData("hosts: [a]\nhttp: [{match: [{sourceLabels: {\"-bad\": x}}], route: [{destination: {host: b}}]}]", "spec.http[0].match[0].sourceLabels[-bad]", "not a label name")]
    [InlineData("hosts: [a]\nhttp: [{match: [{sourceLabels: {app: \"no spaces\"}}], route: [{destination: {host: b}}]}]", "spec.http[0].match[0].sourceLabels[app]", "not a label value")]
    [InlineData("hosts: [a]\nhttp: [{match: [{gateways: [\"a/b/c\"]}], route: [{destination: {host: b}}]}]", "spec.http[0].match[0].gateways[0]", "namespace/name")]
    [InlineData("hosts: [a]\nhttp: [{match: [{ignoreUriCase: maybe}], route: [{destination: {host: b}}]}]", "spec.http[0].match[0].ignoreUriCase", "true or false")]
    [InlineData("hosts: [a]\nhttp: [{match: [{port: 65536}], route: [{destination: {host: b}}]}]", "spec.http[0].match[0].port", "between 0 and 65535")]
    // Destinations.
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: b}}, {destination: {host: c}}]}]", "spec.http[0].route", "add up to 0")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: b, port: {name: http}}}]}]", "spec.http[0].route[0].destination.port.name", "not a known field")]
    // TCP and TLS.
    [InlineData("hosts: [a]\ntcp: [{match: [{port: 1}]}]", "spec.tcp[0].route", "is required")]
    [InlineData("hosts: [a]\ntcp: [{match: [{destinationSubnets: [10.0.0.0/33]}], route: [{destination: {host: b}}]}]", "spec.tcp[0].match[0].destinationSubnets[0]", "not a valid CIDR")]
    [InlineData("hosts: [a]\ntcp: [{match: [{sourceSubnet: not-an-ip}], route: [{destination: {host: b}}]}]", "spec.tcp[0].match[0].sourceSubnet", "not an IP address")]
    [InlineData("hosts: [a]\ntcp: [{match: [{sourceLabels: {app: \"x y\"}}], route: [{destination: {host: b}}]}]", "spec.tcp[0].match[0].sourceLabels[app]", "label value")]
    [InlineData("hosts: [a]\ntcp: [{route: [{destination: {host: b}, weight: 0}, {destination: {host: c}}]}]", "spec.tcp[0].route", "add up to 0")]
    [InlineData("hosts: [a]\ntls: [{route: [{destination: {host: b}}]}]", "spec.tls[0].match", "is required")]
    [InlineData("hosts: [a]\ntls: [{match: [{port: 443}], route: [{destination: {host: b}}]}]", "spec.tls[0].match[0].sniHosts", "is required")]
    [InlineData("hosts: [\"*.example.com\"]\ntls: [{match: [{sniHosts: [other.org]}], route: [{destination: {host: b}}]}]", "spec.tls[0].match[0].sniHosts[0]", "not within any of the VirtualService's hosts")]
    [InlineData("hosts: [a]\ntls: [{match: [{sniHosts: [a], gateways: [\"x/Y\"]}], route: [{destination: {host: b}}]}]", "spec.tls[0].match[0].gateways[0]", "namespace/name")]
    [InlineData("hosts: [a]\ntls: [{match: [{sniHosts: [a]}], route: [{destination: {host: b}, weight: x}]}]", "spec.tls[0].route[0].weight", "integer")]
    public void Invalid_IsRejectedNamingTheField(string spec, string field, string reason)
    {
        var document = Document(spec);

        Assert.True(document.Rejection is not null, $"accepted: {spec}");
        Assert.Equal(field, document.Rejection!.Field);
        Assert.Contains(reason, document.Rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralProblemsInSeveralRouteKinds_AreAllReported()
    {
        var document = Document("hosts: [a]\nhttp: [{fault: {}, route: [{destination: {host: b}}]}]\ntcp: [{match: [{port: 0x}], route: [{destination: {host: c}}]}]\ntls: [{match: [{sniHosts: [z]}], route: [{destination: {host: d}}]}]");

        Assert.Equal("spec.http[0].fault", document.Rejection!.Field);
        Assert.Contains("spec.tcp[0].match[0].port", document.Rejection.Reason, StringComparison.Ordinal);
        Assert.Contains("spec.tls[0].match[0].sniHosts[0]", document.Rejection.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hosts: [10.0.0.1]\ntcp: [{route: [{destination: {host: b}}]}]")]
    [InlineData("hosts: [a]\nhttp: [{match: [{uri: {prefix: \"\"}}], route: [{destination: {host: b}}]}]")]
    [InlineData("hosts: [a]\nhttp: [{match: [{headers: {x: {exact: \"\"}}}], route: [{destination: {host: b}}]}]")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: b}, weight: 1000}, {destination: {host: c}, weight: 3000}]}]")]
    [InlineData("hosts: [a]\nhttp: [{headers: {request: {add: {x-t: \"%START_TIME(%s)%-100%%\"}}}, route: [{destination: {host: b}}]}]")]
    [InlineData("hosts: [a]\ngateways: [ingress]\nhttp: [{match: [{headers: {\"@request.auth.claims.group\": {exact: a}}}], route: [{destination: {host: b}}]}]")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: b}}], retries: {attempts: 2, retryOn: \"retriable-status-codes,503,unavailable\"}}]")]
    public void IstioValidForms_AreAccepted(string spec)
    {
        var document = Document(spec);

        Assert.True(document.Rejection is null, document.Rejection?.Field + ": " + document.Rejection?.Reason);
    }

    private static ParsedDocument Document(string spec)
    {
        var yaml = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: default}\nspec:\n" + string.Join('\n', spec.Split('\n').Select(l => "  " + l));
        return Assert.Single(KubernetesObjectParser.Parse("f.yaml", yaml).Documents);
    }

    private static VirtualServiceSpec Valid(string spec)
    {
        var yaml = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: default}\nspec:\n" + string.Join('\n', spec.Split('\n').Select(l => "  " + l));
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return VirtualServiceParser.ParseSpec((YamlMappingNode)stream.Documents[0].RootNode, "default", "v");
    }
}
