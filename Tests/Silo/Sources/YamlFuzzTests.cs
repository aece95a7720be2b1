using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Silo.Sources.Yaml;
using Mesh.Orleans.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// Bounded fuzzing of the YAML path: mutations of the sample mesh and of small hand-written
/// objects go through <see cref="KubernetesObjectParser.Parse(string, string)"/> and then
/// <see cref="ConfigAssembler.Assemble"/>. Whatever the input, nothing may escape either; a
/// file ends as documents or as a <see cref="ParsedFile.FileError"/> with a reason; every
/// rejection names a reason; and no rejection may come from the parser's catch-all, which
/// would mean a validator threw something other than <see cref="InvalidFieldException"/>.
/// Read again with the unmutated file as the previous read, each case must give exactly what
/// the whole-file parse gives. Every case comes from a fixed seed, so each run tries the same inputs.
/// </summary>
public sealed partial class YamlFuzzTests(ITestOutputHelper output)
{
    private const string HandService = """
        apiVersion: v1
        kind: Service
        metadata:
          name: echo
          namespace: shop
        spec:
          ports:
            - name: grpc
              port: 7000
              targetPort: grpc
              protocol: TCP
              appProtocol: grpc
            - name: admin
              port: 7001
              targetPort: 17001
        """;

    private const string HandSlice = """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: echo-abc
          namespace: shop
          labels:
            kubernetes.io/service-name: echo
        addressType: IPv4
        ports:
          - name: grpc
            port: 17000
            protocol: TCP
        endpoints:
          - addresses:
              - 127.0.0.1
            conditions:
              ready: true
              serving: true
              terminating: false
            zone: z1
            nodeName: n1
            targetRef:
              kind: Pod
              namespace: shop
              name: echo-abc-1
        """;

    private const string HandVirtualService = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: echo
          namespace: shop
        spec:
          hosts:
            - echo
            - echo.example.com
          gateways:
            - mesh
            - shop/ingress
          exportTo:
            - .
          http:
            - name: canary
              match:
                - name: grpc
                  uri:
                    prefix: /echo.Echo/
                  scheme:
                    exact: http
                  method:
                    exact: POST
                  authority:
                    prefix: echo
                  headers:
                    x-canary:
                      regex: "y.*s"
                  withoutHeaders:
                    x-debug:
                      regex: "*"
                  queryParams:
                    v:
                      exact: "2"
                  port: 7000
                  sourceLabels:
                    app: frontend
                  sourceNamespace: shop
                  gateways:
                    - mesh
                  ignoreUriCase: true
                  statPrefix: canary
              route:
                - destination:
                    host: echo-v2
                    subset: v2
                    port:
                      number: 7000
                  weight: 75
                  headers:
                    request:
                      set:
                        x-subset: v2
                      add:
                        x-hop: "%HOSTNAME%"
                      remove:
                        - x-internal
                    response:
                      remove:
                        - server
                - destination:
                    host: echo
                  weight: 25
              timeout: 1.5s
              retries:
                attempts: 3
                perTryTimeout: 500ms
                retryOn: gateway-error,connect-failure,503
                retryRemoteLocalities: true
                retryIgnorePreviousHosts: false
                backoff: 30ms
              fault:
                delay:
                  fixedDelay: 5s
                  percentage:
                    value: 12.5
                abort:
                  grpcStatus: UNAVAILABLE
                  percentage:
                    value: 0.5
              mirror:
                host: shadow
                port:
                  number: 7000
              mirrorPercentage:
                value: 50
              headers:
                request:
                  set:
                    x-route: canary
                response:
                  add:
                    x-served-by: mesh
              corsPolicy:
                allowOrigins:
                  - exact: https://example.com
                allowMethods:
                  - GET
                allowHeaders:
                  - x-custom
                exposeHeaders:
                  - x-trace
                maxAge: 24h
                allowCredentials: true
                unmatchedPreflights: IGNORE
            - name: moved
              match:
                - uri:
                    prefix: /old/
              redirect:
                prefixRewrite: /new/
                authority: echo.example.com
                port: 8443
                scheme: https
                redirectCode: 302
            - name: teapot
              match:
                - uri:
                    exact: /teapot
              directResponse:
                status: 418
                body:
                  string: short and stout
            - name: shared
              match:
                - uri:
                    prefix: /shared/
              delegate:
                name: shared-routes
                namespace: shop
            - rewrite:
                uriRegexRewrite:
                  match: "^/v1/(.*)$"
                  rewrite: "/v2/\\1"
                authority: echo.internal
              mirrors:
                - destination:
                    host: shadow
                  percentage:
                    value: 10
              route:
                - destination:
                    host: echo.shop.svc.cluster.local
                    port:
                      number: 7000
          tcp:
            - match:
                - port: 7001
                  destinationSubnets:
                    - 10.0.0.0/8
                  sourceSubnet: 10.1.0.0/16
                  sourceLabels:
                    app: admin
                  gateways:
                    - mesh
                  sourceNamespace: shop
              route:
                - destination:
                    host: echo
                    port:
                      number: 7001
                  weight: 100
          tls:
            - match:
                - sniHosts:
                    - echo.example.com
                  port: 443
                  destinationSubnets:
                    - 10.0.0.1
                  sourceLabels:
                    app: frontend
                  gateways:
                    - mesh
              route:
                - destination:
                    host: echo
                  weight: 100
        """;

    private const string HandDestinationRule = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: echo
          namespace: shop
        spec:
          host: echo
          trafficPolicy:
            loadBalancer:
              simple: LEAST_REQUEST
            connectionPool:
              tcp:
                maxConnections: 100
                connectTimeout: 30ms
              http:
                http1MaxPendingRequests: 10
                maxRequestsPerConnection: 1
                h2UpgradePolicy: UPGRADE
                useClientProtocol: true
            outlierDetection:
              consecutive5xxErrors: 5
              interval: 10s
              baseEjectionTime: 30s
              maxEjectionPercent: 50
            tls:
              mode: ISTIO_MUTUAL
            portLevelSettings:
              - port:
                  number: 7000
                loadBalancer:
                  consistentHash:
                    httpCookie:
                      name: user
                      ttl: 60s
                    minimumRingSize: 1024
          subsets:
            - name: v1
              labels:
                version: v1
            - name: v2
              labels:
                version: v2
              trafficPolicy:
                loadBalancer:
                  simple: RANDOM
          exportTo:
            - "."
        """;

    private const string HandGateway = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: ingress
          namespace: shop
        spec:
          selector:
            istio: ingressgateway
          servers:
            - port:
                number: 80
                name: http
                protocol: HTTP
              hosts:
                - "shop/echo.example.com"
                - "*.example.org"
              tls:
                httpsRedirect: true
            - port:
                number: 443
                name: tls
                protocol: TLS
              bind: 10.0.0.1
              name: passthrough
              hosts:
                - "./secure.example.com"
              tls:
                mode: PASSTHROUGH
                minProtocolVersion: TLSV1_2
                subjectAltNames:
                  - client.example.com
        """;

    private const string HandTlsGateway = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: secure
          namespace: istio-system
        spec:
          selector:
            istio: ingressgateway
          servers:
            - port:
                number: 443
                name: https
                protocol: HTTPS
              hosts:
                - "shop/www.example.com"
              tls:
                mode: MUTUAL
                credentialName: www-cert
                caCertCredentialName: www-roots
                subjectAltNames:
                  - client.example.com
                minProtocolVersion: TLSV1_2
                maxProtocolVersion: TLSV1_3
                cipherSuites:
                  - ECDHE-ECDSA-AES128-GCM-SHA256
            - port:
                number: 8443
                name: mesh
                protocol: HTTPS
              hosts:
                - "*/api.example.com"
              tls:
                mode: ISTIO_MUTUAL
        """;

    private const string HandPeerAuthentication = """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata:
          name: shop-strict
          namespace: shop
        spec:
          selector:
            matchLabels:
              app: echo
          mtls:
            mode: STRICT
          portLevelMtls:
            8080:
              mode: PERMISSIVE
        """;

    private const string HandAuthorizationPolicy = """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: echo-viewers
          namespace: shop
        spec:
          selector:
            matchLabels:
              app: echo
          action: ALLOW
          rules:
            - from:
                - source:
                    principals:
                      - cluster.local/ns/shop/sa/web
                    namespaces:
                      - shop
                    ipBlocks:
                      - 10.0.0.0/8
              to:
                - operation:
                    methods:
                      - GET
                    paths:
                      - /info*
                    ports:
                      - "8080"
                    hosts:
                      - echo.shop.svc.cluster.local
              when:
                - key: request.headers[x-token]
                  values:
                    - abc
        """;

    private const string HandServiceEntry = """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: external
          namespace: shop
        spec:
          hosts:
            - api.example.com
          addresses:
            - 240.0.0.1
          ports:
            - number: 443
              name: tls
              protocol: TLS
              targetPort: 8443
            - number: 80
              name: http
              protocol: HTTP
          location: MESH_EXTERNAL
          resolution: STATIC
          endpoints:
            - address: 10.0.0.1
              ports:
                http: 8080
              labels:
                version: v1
              network: n1
              locality: r1/z1
              weight: 10
              serviceAccount: external
          exportTo:
            - "."
          subjectAltNames:
            - spiffe://example.com/sa
        """;

    /// <summary>
    /// Catches a parse that never ends, not a slow one: a run of thousands of cases takes about 10 s here and took over
    /// 25 s on a loaded 2-core CI machine, so the bound is far above both.
    /// </summary>
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(120);

    private static readonly string[] s_tokens =
    [
        "[", "{", "]", "}", ": :", "- -", "? ", "|", ">", "&a ", "*a", "*undefined ", "!", "!!str ", "!!binary ", "%", "@", "`",
        "\t", "\uFEFF", "\0", "\u0001", "\u001b", "\u007f", "\u0085", "\u2028", "\uFFFE", "\uD800", "'", "\"", "#", ",", "\r", "\r\n",
        "\n---\n", "\n...\n", "\n--- |\n", "<<: *a", " ", "\n", "-", ":", "\\", "&a [*a]", "{[", "[{", "\u00a0",
    ];

    private static readonly string[] s_hostileValues =
    [
        "7", "\"x\"", "{}", "[]", "[7]", "{a: b}", "- x", "~", "null", "''", "true", "1.5", "-1", "0", "+7", "07", "0x10", "0o17", "1_000",
        "1e400", ".inf", "-.inf", ".nan", "99999999999999999999999999999999", "-99999999999999999999999999999999",
        "99999999999999999999999999999999s", "\u0661\u0662s", "1000000000h", "1.5.5s", "*undefined", "&x [*x]", "*x", "&a", "!!binary aGk=",
        "!!int x", "!custom {}", "{? [a] : b}", "{? {a: b} : c}", "[[[[", "{{", "\"unterminated", "'unterminated", "|", ">", "|-\n  text",
        "\"\\u0000\"", "\"\\uD800\"", "%x", "@x", "`x`", ": :", "- -", "? x", "<<: *x", "\"(a{1000}){1000}\"", "\"(?<=x)\"",
        new string('a', 5000), "\"" + new string('9', 3000) + "\"", "\t7", "7\t", "\uFEFF7",
    ];

    private static readonly Lazy<IReadOnlyList<(string Name, string Text)>> s_bases = new(LoadBases);

    private static readonly Lazy<IReadOnlyList<ParsedFile>> s_goodFiles = new(() =>
        s_bases.Value.Select(b => KubernetesObjectParser.Parse(b.Name, b.Text)).ToList());

    [Fact]
    public void Samples_AreInTheTestOutput_AndAllValid()
    {
        var bases = s_bases.Value;

        Assert.Contains(bases, b => b.Name == "greeter.yaml");
        Assert.Contains(bases, b => b.Name == "reviews.yaml");
        Assert.All(s_goodFiles.Value, f =>
        {
            Assert.Null(f.FileError);
            Assert.All(f.Documents, d => Assert.Null(d.Rejection));
        });
    }

    [Fact]
    public async Task Parse_TruncatedAtEveryOffsetOfEveryBase_IsHandled()
    {
        await RunAsync("truncation", TruncationCases());
    }

    [Fact]
    public async Task Parse_RandomByteFlipsInsertionsAndDeletions_AreHandled()
    {
        await RunAsync("byte flips", ByteCases());
    }

    [Fact]
    public async Task Parse_YamlGrammarAwareMutations_AreHandled()
    {
        await RunAsync("grammar mutations", GrammarCases());
    }

    [Fact]
    public async Task ParseReusingTheBase_TruncatedAtEveryOffset_EqualsTheWholeFileParse()
    {
        await RunAsync("truncation, reusing the base", TruncationCases(), ReuseViolation);
    }

    [Fact]
    public async Task ParseReusingTheBase_RandomByteFlipsInsertionsAndDeletions_EqualsTheWholeFileParse()
    {
        await RunAsync("byte flips, reusing the base", ByteCases(), ReuseViolation);
    }

    [Fact]
    public async Task ParseReusingTheBase_YamlGrammarAwareMutations_EqualsTheWholeFileParse()
    {
        await RunAsync("grammar mutations, reusing the base", GrammarCases(), ReuseViolation);
    }

    [Fact]
    public async Task ParseReusingAFile_HostileDocumentsAddedToIt_EqualsTheWholeFileParse()
    {
        // Each hostile document alone, and appended as a new document to the combined file read before.
        var all = s_bases.Value.Single(b => b.Name == "all.yaml").Text;
        var cases = HostileDocuments().SelectMany(h => new[]
        {
            ("hostile.yaml", h.Text, h.What),
            ("all.yaml", all + "\n---\n" + h.Text, h.What + ", appended to all.yaml"),
        });

        await RunAsync("hostile documents, reusing the file", cases, ReuseViolation);
    }

    /// <summary>
    /// Every base cut at every offset (a base longer than <see cref="EveryOffsetUpTo"/> characters, such as the
    /// bookinfo sample or the hand-written VirtualService using every field, at about 400 evenly spread offsets and at every offset near its document separators, so the
    /// suite stays fast); the combined file is left out, its cuts are those of the three objects it joins.
    /// </summary>
    private static IEnumerable<(string Name, string Text, string Case)> TruncationCases() =>
        s_bases.Value.Where(b => b.Name != "all.yaml").SelectMany(b => CutOffsets(b.Text).Select(n => (b.Name, b.Text[..n], $"{b.Name} cut at {n}")));

    private const int EveryOffsetUpTo = 1000;

    private static IEnumerable<int> CutOffsets(string text)
    {
        if (text.Length <= EveryOffsetUpTo)
        {
            return Enumerable.Range(0, text.Length + 1);
        }

        // About 400 evenly spread cuts, however long the base, besides those near separators.
        var stride = Math.Max(5, text.Length / 400);
        var separators = new List<int>();
        for (var at = text.IndexOf("---", StringComparison.Ordinal); at >= 0; at = text.IndexOf("---", at + 3, StringComparison.Ordinal))
        {
            separators.Add(at);
        }

        return Enumerable.Range(0, text.Length + 1)
            .Where(n => n % stride == 0 || n == text.Length || separators.Any(s => Math.Abs(n - s) <= 4));
    }

    private static IEnumerable<(string Name, string Text, string Case)> ByteCases()
    {
        var bases = s_bases.Value;
        var edit = Gen.Select(Gen.Int[0, 2], Gen.Int[0, int.MaxValue - 1], Gen.Byte);
        var gen = Gen.Select(Gen.Int[0, bases.Count - 1], edit.Array[1, 8]);

        return FuzzCases.Generate(gen, seed: 0x6e5_0001, count: 4000).Select((c, i) =>
        {
            var (name, text) = bases[c.Item1];
            var bytes = Encoding.UTF8.GetBytes(text).ToList();
            foreach (var (kind, position, value) in c.Item2)
            {
                var at = position % (bytes.Count + 1);
                switch (kind)
                {
                    case 0 when at < bytes.Count:
                        bytes[at] ^= (byte)(value == 0 ? 0x20 : value);
                        break;
                    case 2 when at < bytes.Count:
                        bytes.RemoveAt(at);
                        break;
                    default:
                        bytes.Insert(at, value);
                        break;
                }
            }

            // The source reads files as UTF-8 text, so invalid sequences arrive as U+FFFD.
            return (name, Encoding.UTF8.GetString([.. bytes]), $"byte case {i} of seed 0x6e50001 on {name}");
        });
    }

    private static IEnumerable<(string Name, string Text, string Case)> GrammarCases()
    {
        var bases = s_bases.Value;
        var mutation = Gen.Select(Gen.Int[0, 9], Gen.Int[0, int.MaxValue - 1], Gen.Int[0, int.MaxValue - 1]);
        var gen = Gen.Select(Gen.Int[0, bases.Count - 1], mutation.Array[1, 3]);

        return FuzzCases.Generate(gen, seed: 0x6e5_0002, count: 4000).Select((c, i) =>
        {
            var (name, text) = bases[c.Item1];
            foreach (var (kind, position, choice) in c.Item2)
            {
                text = Mutate(text, kind, position, choice);
            }

            return (name, text, $"grammar case {i} of seed 0x6e50002 on {name}");
        });
    }

    [Fact]
    public async Task LiveDirectory_MutatedFilesWrittenIntoAServingControlPlane_KeepItServingAndApplying()
    {
        // The same mutations, through the real source of a running control plane: afterwards it
        // still serves the good file and still applies the next change.
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string> { ["good.yaml"] = MeshYaml.Service("good", 7000) });
        await using var client = AdsTestClient.Connect(server.XdsPort);
        string[] subscribed = ["outbound|7000||good.default.svc.cluster.local", "outbound|7001||next.default.svc.cluster.local"];
        await client.SendAsync(TypeUrls.Cluster, subscribed);
        await client.AckAsync(await client.ReceiveAsync(), subscribed);

        var bases = s_bases.Value;
        var gen = Gen.Select(Gen.Int[0, bases.Count - 1], Gen.Select(Gen.Int[0, 9], Gen.Int[0, int.MaxValue - 1], Gen.Int[0, int.MaxValue - 1]).Array[1, 3]);
        var index = 0;
        foreach (var (baseIndex, mutations) in FuzzCases.Generate(gen, seed: 0x6e5_0010, count: 60))
        {
            var text = bases[baseIndex].Text;
            foreach (var (kind, position, choice) in mutations)
            {
                text = Mutate(text, kind, position, choice);
            }

            await server.WriteConfigAsync($"fuzz-{index++}.yaml", text);
        }

        await server.WriteConfigAsync("next.yaml", MeshYaml.Service("next", 7001));
        var names = new HashSet<string>(StringComparer.Ordinal);
        await Eventually.TrueAsync(async () =>
        {
            var response = await client.ReceiveTypeAsync(TypeUrls.Cluster, TimeSpan.FromSeconds(15));
            await client.AckAsync(response, subscribed);
            names = AdsTestClient.Unpack<Envoy.Config.Cluster.V3.Cluster>(response).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
            return names.Contains("outbound|7001||next.default.svc.cluster.local");
        }, TimeSpan.FromSeconds(30), "the change after the fuzzed files was applied");

        Assert.Contains("outbound|7000||good.default.svc.cluster.local", names);
        Assert.Equal(SourceState.Watching, server.Services.GetRequiredService<YamlDirectorySource>().Status.State);
    }

    [Fact]
    public async Task Parse_HostileDocuments_AreHandled()
    {
        await RunAsync("hostile documents", HostileDocuments().Select(h => ("hostile.yaml", h.Text, h.What)));
    }

    [Fact]
    public async Task Parse_WrongTypeInAnyField_RejectsTheObjectNamingTheField()
    {
        // Every field of the hand-written objects, given a value of the wrong shape (a mapping
        // where a scalar or list belongs, a scalar where a mapping or list belongs, a non-number
        // where a number belongs), must reject its object with a reason naming that field.
        var failures = new List<string>();
        var count = 0;
        var watch = Stopwatch.StartNew();
        await FuzzCases.BoundedAsync(() =>
        {
            foreach (var (name, text) in new[] { ("service.yaml", HandService), ("slice.yaml", HandSlice), ("vs.yaml", HandVirtualService), ("dr.yaml", HandDestinationRule), ("gw.yaml", HandGateway), ("se.yaml", HandServiceEntry), ("tlsgw.yaml", HandTlsGateway), ("pa.yaml", HandPeerAuthentication), ("ap.yaml", HandAuthorizationPolicy) })
            {
                var lines = text.Split('\n');
                for (var i = 0; i < lines.Length; i++)
                {
                    var match = FieldLine().Match(lines[i]);
                    if (!match.Success)
                    {
                        continue;
                    }

                    var key = match.Groups["key"].Value;
                    var value = match.Groups["value"].Value;
                    // A block collection's children are the lines indented deeper than its key.
                    var keyIndent = match.Groups["prefix"].Value.Length;
                    var end = i + 1;
                    while (value.Length == 0 && end < lines.Length && Indent(lines[end]) > keyIndent)
                    {
                        end++;
                    }

                    var shape = value.Length > 0 ? (value.StartsWith('[') ? "list" : value.StartsWith('{') ? "map" : "scalar")
                        : end > i + 1 && lines[i + 1].TrimStart().StartsWith('-') ? "list" : "map";
                    string[] wrong = shape switch
                    {
                        "list" => ["7", "x", "{}", "{a: b}"],
                        "map" => ["7", "x", "[]", "[a]"],
                        _ when key is "port" or "number" or "weight" or "attempts" or "redirectCode" or "status" => ["{}", "[]", "x", "\"7\"", "1.5", "-1", "99999999999999999999", "1e3", "0x10", ".inf", "true"],
                        _ when key == "timeout" => ["{}", "[]", "x", "7", "99999999999999999999999999999999s", "\u0661\u0662s", "99999999999999999999h"],
                        _ => ["{}", "[]", "{a: b}", "[a]"],
                    };
                    foreach (var replacement in wrong)
                    {
                        count++;
                        var mutated = string.Join('\n', lines.Take(i).Append($"{match.Groups["prefix"].Value}{key}: {replacement}").Concat(lines.Skip(end)));
                        var what = $"{name} line {i + 1} '{key}: {replacement}'";
                        var violation = Violation(name, mutated);
                        var file = KubernetesObjectParser.Parse(name, mutated);
                        if (violation is not null)
                        {
                            failures.Add($"{what}: {violation}");
                        }
                        else if (!file.Documents.Any(d => d.Rejection is { } r && r.Field.Contains(key, StringComparison.Ordinal)))
                        {
                            var got = file.FileError ?? string.Join("; ", file.Documents.Select(d => d.Rejection is { } r ? $"{r.Field}: {r.Reason}" : "accepted"));
                            failures.Add($"{what}: not rejected naming '{key}' ({got})");
                        }
                    }
                }
            }
        }, s_bound);

        output.WriteLine($"wrong types: {count} cases in {watch.ElapsedMilliseconds} ms");
        Assert.True(count > 100, $"only {count} cases");
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} cases failed:\n" + string.Join('\n', failures.Take(20)));
    }

    private static IEnumerable<(string What, string Text)> HostileDocuments()
    {
        const string Head = "apiVersion: v1\nkind: Service\nmetadata: {name: echo}\n";
        yield return ("alias to an undefined anchor", Head + "spec: {ports: *nowhere}\n");
        yield return ("alias used before its anchor", Head + "spec: {ports: *a}\nx: &a [{port: 1}]\n");
        yield return ("alias inside its own anchor", Head + "spec: &a {ports: [*a]}\n");
        yield return ("anchor on a key, alias as a key", Head + "&k spec: {ports: [{port: 1}]}\n*k : 7\n");
        yield return ("merge key onto an alias", Head + "base: &b {port: 1}\nspec: {ports: [{<<: *b, name: grpc}]}\n");
        yield return ("merge key onto an undefined alias", Head + "spec: {ports: [{<<: *nowhere}]}\n");
        yield return ("alias bomb in ports", Head + AliasBomb(12) + "spec: {ports: *a11}\n");
        yield return ("alias bomb as a mapping key", Head + AliasBomb(12) + "? *a11\n: x\nspec: {ports: [{port: 1}]}\n");
        yield return ("alias bomb as a key inside spec", Head + AliasBomb(12) + "spec: {ports: [{port: 1}], ? *a11 : x}\n");
        yield return ("two equal alias-bomb keys", Head + AliasBomb(12) + "? *a11\n: x\n? *a10\n: y\n");
        yield return ("tabs in indentation", "apiVersion: v1\nkind: Service\nmetadata:\n\tname: echo\nspec:\n\tports:\n\t\t- port: 1\n");
        yield return ("BOM at the start", "\uFEFF" + Head + "spec: {ports: [{port: 1}]}\n");
        yield return ("BOM in the middle", Head + "\uFEFFspec: {ports: [{port: 1}]}\n");
        yield return ("BOM inside a value", Head.Replace("echo", "ec\uFEFFho", StringComparison.Ordinal) + "spec: {ports: [{port: 1}]}\n");
        yield return ("NUL in a value", Head.Replace("echo", "ec\0ho", StringComparison.Ordinal) + "spec: {ports: [{port: 1}]}\n");
        yield return ("escaped NUL in a quoted name", "apiVersion: v1\nkind: Service\nmetadata: {name: \"ec\\0ho\"}\nspec: {ports: [{port: 1}]}\n");
        yield return ("control characters everywhere", string.Concat(Head.Select(c => c == '\n' ? "\u0001\n" : c.ToString())));
        yield return ("lone surrogate", Head.Replace("echo", "e\uD800cho", StringComparison.Ordinal));
        yield return ("very long plain scalar", Head + "spec: {ports: [{port: 1, appProtocol: " + new string('a', 1_000_000) + "}]}\n");
        yield return ("very long quoted scalar", Head + "spec: {ports: [{port: 1, appProtocol: \"" + new string('a', 1_000_000) + "\"}]}\n");
        yield return ("very long key", Head + new string('k', 5000) + ": 1\n");
        yield return ("very long name", "apiVersion: v1\nkind: Service\nmetadata: {name: " + new string('a', 100_000) + "}\nspec: {ports: [{port: 1}]}\n");
        yield return ("very long kind", "apiVersion: v1\nkind: " + new string('K', 100_000) + "\nmetadata: {name: a}\n");
        yield return ("very long regex", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {hosts: [a], http: [{match: [{uri: {regex: \"" + new string('(', 1000) + "\"}}], route: [{destination: {host: b}}]}]}\n");
        yield return ("nested quantifiers regex", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {hosts: [a], http: [{match: [{uri: {regex: \"((a{1000}){1000}){1000}\"}}], route: [{destination: {host: b}}]}]}\n");
        yield return ("duplicate keys", Head + "spec: {ports: [{port: 1}]}\nspec: {ports: [{port: 2}]}\n");
        yield return ("duplicate keys in a flow map", Head + "spec: {ports: [{port: 1, port: 2}]}\n");
        yield return ("duplicate null keys", Head + "? \n: a\n? \n: b\n");
        yield return ("document end marker mid-object", Head + "...\nspec: {ports: [{port: 1}]}\n");
        yield return ("document start marker mid-object", "apiVersion: v1\n---\nkind: Service\n---\nmetadata: {name: echo}\n");
        yield return ("markers only", "---\n...\n---\n...\n---\n");
        yield return ("marker followed by content on one line", "--- apiVersion: v1\n... kind: Service\n");
        yield return ("directives", "%YAML 1.1\n%TAG ! tag:x,2000:\n---\n" + Head);
        yield return ("directive without a document", "%YAML 1.2\n");
        yield return ("repeated YAML directive", "%YAML 1.2\n%YAML 1.2\n---\n" + Head);
        yield return ("tags", "!!map\napiVersion: !!str v1\nkind: !Service Service\nmetadata: !!binary aGk=\n");
        yield return ("ten thousand empty documents", string.Concat(Enumerable.Repeat("---\n", 10_000)));
        yield return ("a thousand objects", string.Join("---\n", Enumerable.Range(0, 1000).Select(i => $"apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}}}\nspec: {{ports: [{{port: {i % 65535 + 1}}}]}}\n")));
        yield return ("nested just under the limit", Head + "x: " + new string('[', KubernetesObjectParser.MaxDepth - 1) + new string(']', KubernetesObjectParser.MaxDepth - 1) + "\n");
        yield return ("nested just over the limit", Head + "x: " + new string('[', KubernetesObjectParser.MaxDepth) + new string(']', KubernetesObjectParser.MaxDepth) + "\n");
        yield return ("unclosed flow collections", Head + "spec: {ports: [{port: 1\n");
        yield return ("unclosed flow then stray indicators", Head + "spec: [\n- x: : y\n? z\n| a\n");
        yield return ("mapping as a key", Head + "{a: b}: c\n");
        yield return ("sequence as the kind", "apiVersion: v1\nkind: [Service]\nmetadata: {name: a}\n");
        yield return ("mapping as a port key", Head + "spec: {ports: [{? {a: b} : 1}]}\n");
        yield return ("mapping as a string-match key", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {hosts: [a], http: [{match: [{uri: {? [exact] : /a}}], route: [{destination: {host: b}}]}]}\n");
        yield return ("null as a string-match key", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {hosts: [a], http: [{match: [{uri: {~: /a}}], route: [{destination: {host: b}}]}]}\n");
        yield return ("quoted tilde as a header name", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {hosts: [a], http: [{match: [{headers: {? [x] : {exact: a}}}], route: [{destination: {host: b}}]}]}\n");
        yield return ("ports: 7", Head + "spec: {ports: 7}\n");
        yield return ("port: \"x\"", Head + "spec: {ports: [{port: \"x\"}]}\n");
        yield return ("endpoints: {}", "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s, labels: {kubernetes.io/service-name: e}}\naddressType: IPv4\nendpoints: {}\n");
        yield return ("huge timeout", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {hosts: [a], http: [{timeout: 99999999999999999999999999999999999s, route: [{destination: {host: b}}]}]}\n");
        yield return ("non-ASCII digits in a timeout", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {hosts: [a], http: [{timeout: \u0661\u0662s, route: [{destination: {host: b}}]}]}\n");
        yield return ("IPv6 address with a zone", "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s, labels: {kubernetes.io/service-name: e}}\naddressType: IPv6\nendpoints: [{addresses: [\"fe80::1%eth0\"]}]\n");
        yield return ("gateway hosts of every wrong shape", "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec: {servers: [{port: {number: 80, name: h, protocol: HTTP}, hosts: [{a: b}, [c], ~, '', '/', '*/', '~/a.b', 'a/b/c.d', '::1', '1.2.3.4']}]}\n");
        yield return ("gateway with a thousand servers of one port name", "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec: {servers: [" + string.Join(", ", Enumerable.Repeat("{port: {number: 80, name: h, protocol: HTTP}, hosts: ['*']}", 1000)) + "]}\n");
        yield return ("service entry addresses and endpoints of every wrong shape", "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: s}\nspec: {hosts: [a.b], addresses: ['1.2.3.4/999999999999', '::/', '/8', '01.2.3.4', 'fe80::1%eth0'], ports: [{number: 1, name: p}], resolution: STATIC, endpoints: [{address: 'unix://'}, {address: 'unix://@'}, {ports: {~: 1, '': 2}}, {address: '1.2.3.4', weight: 99999999999}]}\n");
        yield return ("scalar document", "just a scalar\n");
        yield return ("sequence document", "- a\n- b\n");
        yield return ("only a comment", "# nothing\n");
        yield return ("empty", string.Empty);
        yield return ("only whitespace and newlines", " \n\t\n\r\n\u2028\n");
    }

    private static string AliasBomb(int levels)
    {
        var yaml = new StringBuilder("x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < levels; i++)
        {
            var previous = $"*a{i - 1}";
            yaml.Append($"x{i}: &a{i} [{string.Join(", ", Enumerable.Repeat(previous, 9))}]\n");
        }

        return yaml.ToString();
    }

    private static string Mutate(string text, int kind, int position, int choice)
    {
        var lines = text.Split('\n').ToList();
        var line = position % Math.Max(1, lines.Count);
        switch (kind)
        {
            case 0:
                // A stray indicator, control character or marker anywhere.
                var at = position % (text.Length + 1);
                return text.Insert(at, s_tokens[choice % s_tokens.Length]);
            case 1:
                // A hostile value in place of a field's value.
                var colon = lines[line].IndexOf(": ", StringComparison.Ordinal);
                var value = s_hostileValues[choice % s_hostileValues.Length];
                lines[line] = colon >= 0 ? lines[line][..(colon + 2)] + value : lines[line] + ": " + value;
                break;
            case 2:
                // Duplicate keys.
                lines.Insert(line, lines[line]);
                break;
            case 3:
                // Tabs in indentation.
                lines[line] = new string('\t', 1 + (choice % 3)) + lines[line].TrimStart(' ');
                break;
            case 4:
                lines.RemoveAt(line);
                break;
            case 5:
                // Huge, negative and float numbers where digits were.
                string[] numbers = ["99999999999999999999999999999999", "-1", "-2147483649", "2147483648", "1.5", "1e400", "0", "-0", ".5", "00001"];
                var digits = Digits().Matches(text);
                if (digits.Count == 0)
                {
                    return text;
                }

                var run = digits[choice % digits.Count];
                return text[..run.Index] + numbers[position % numbers.Length] + text[(run.Index + run.Length)..];
            case 6:
                // Document markers in odd places.
                string[] markers = ["---", "...", "--- ", "---\t#", "... ---", "--- !!map", "--- |", "--- >", "---[", "--- &a", "--- *a"];
                lines.Insert(line, markers[choice % markers.Length]);
                break;
            case 7:
                // Anchors and aliases: define a bomb and point a value at it, or alias something undefined.
                var colonAt = lines[line].IndexOf(": ", StringComparison.Ordinal);
                string[] aliases = ["*a5", "*nowhere", "&self [*self]", "*a0", "&a0 x"];
                if (colonAt >= 0)
                {
                    lines[line] = lines[line][..(colonAt + 2)] + aliases[choice % aliases.Length];
                }

                lines.Insert(0, AliasBomb(6).TrimEnd('\n'));
                break;
            case 8:
                // Indentation knocked out of place.
                lines[line] = new string(' ', choice % 7) + lines[line];
                break;
            default:
                return text[..(position % (text.Length + 1))];
        }

        return string.Join('\n', lines);
    }

    private async Task RunAsync(string what, IEnumerable<(string Name, string Text, string Case)> cases, Func<string, string, string?>? check = null)
    {
        check ??= Violation;
        var failures = new List<string>();
        var count = 0;
        var current = string.Empty;
        var watch = Stopwatch.StartNew();
        try
        {
            await FuzzCases.BoundedAsync(() =>
            {
                foreach (var (name, text, description) in cases)
                {
                    count++;
                    Volatile.Write(ref current, description);
                    if (check(name, text) is { } violation && failures.Count < 20)
                    {
                        failures.Add($"{description}: {violation}\n    input: {FuzzCases.Show(text)}");
                    }
                }
            }, s_bound);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what}: still working on '{Volatile.Read(ref current)}' after {s_bound.TotalSeconds} s ({count} cases started)");
        }

        output.WriteLine($"{what}: {count} cases in {watch.ElapsedMilliseconds} ms");
        Assert.True(count > 0, "no cases ran");
        Assert.True(failures.Count == 0, $"{what}: {failures.Count} failing cases (first 20):\n" + string.Join('\n', failures));
    }

    /// <summary>What is wrong with how <paramref name="text"/> was handled, or null when it was handled as it must be.</summary>
    private static string? Violation(string name, string text)
    {
        ParsedFile file;
        try
        {
            file = KubernetesObjectParser.Parse(name, text);
        }
        catch (Exception exception)
        {
            return $"Parse threw {exception.GetType().Name}: {exception.Message}";
        }

        if (file.FileError is not null)
        {
            if (string.IsNullOrWhiteSpace(file.FileError))
            {
                return "the file was rejected without a reason";
            }

            if (file.Documents.Count > 0)
            {
                return "the file was rejected but still has documents";
            }
        }

        foreach (var document in file.Documents)
        {
            if ((document.Value is null) == (document.Rejection is null))
            {
                return "a document is neither one valid object nor one rejection";
            }

            if (document.Value is not null && document.Key is null)
            {
                return "a valid object has no key";
            }

            if (document.Rejection is { } rejection)
            {
                if (string.IsNullOrWhiteSpace(rejection.Reason))
                {
                    return $"an object was rejected without a reason (field '{rejection.Field}')";
                }

                if (rejection.Reason.StartsWith(KubernetesObjectParser.ValidatorFailure, StringComparison.Ordinal))
                {
                    return $"a validator threw instead of naming the field: {rejection.Reason}";
                }
            }
        }

        try
        {
            var fresh = new ConfigAssembler().Assemble([file]);

            // And once more on top of the good version of every base file, so last-good is kept.
            var primed = new ConfigAssembler();
            primed.Assemble(s_goodFiles.Value);
            var kept = primed.Assemble([.. s_goodFiles.Value.Where(f => f.Path != name), file]);
            if (fresh.Rejected.Concat(kept.Rejected).FirstOrDefault(r => string.IsNullOrWhiteSpace(r.Reason)) is { } silent)
            {
                return $"the assembler rejected {silent.Kind} {silent.Name} without a reason";
            }
        }
        catch (Exception exception)
        {
            return $"Assemble threw {exception.GetType().Name}: {exception.Message}";
        }

        return null;
    }

    /// <summary>
    /// How reading <paramref name="text"/> with the parse of its base (the unmutated file of that
    /// name) as the previous read, or with none, differs from reading it as a whole; and then
    /// how reading the base again after it differs, which takes the pieces this read left (or,
    /// when it left none, those it carried on from the base). Null when all are equal.
    /// </summary>
    /// <summary>Each base read once, piece by piece and whole, since every reuse case starts from it (a parse is pure, so sharing it is safe).</summary>
    private static readonly Lazy<Dictionary<string, BaseParse>> s_baseParses = new(() => s_bases.Value
        .GroupBy(b => b.Name)
        .ToDictionary(g => g.Key, g =>
        {
            var text = g.First().Text;
            return new BaseParse(text, KubernetesObjectParser.Parse(g.Key, text, previous: null), Structure.Show(KubernetesObjectParser.Parse(g.Key, text)));
        }));

    private sealed record BaseParse(string Text, ParsedText Pieces, string Whole);

    private static string? ReuseViolation(string name, string text)
    {
        try
        {
            var whole = Structure.Show(KubernetesObjectParser.Parse(name, text));
            var baseParse = s_baseParses.Value.GetValueOrDefault(name);
            var baseText = baseParse?.Text;
            var previous = baseParse?.Pieces;
            if (Structure.Show(KubernetesObjectParser.Parse(name, text, previous: null).File) != whole)
            {
                return "read piece by piece, it differs from the whole-file parse";
            }

            var reused = KubernetesObjectParser.Parse(name, text, previous);
            if (Structure.Show(reused.File) != whole)
            {
                return "read reusing the base's documents, it differs from the whole-file parse";
            }

            if (baseParse is not null && Structure.Show(KubernetesObjectParser.Parse(name, baseParse.Text, reused).File) != baseParse.Whole)
            {
                return "the base read again after it differs from the base's whole-file parse";
            }
        }
        catch (Exception exception)
        {
            return $"Parse threw {exception.GetType().Name}: {exception.Message}";
        }

        return null;
    }

    private static IReadOnlyList<(string Name, string Text)> LoadBases()
    {
        var samples = Path.Combine(AppContext.BaseDirectory, "samples");
        var files = Directory.GetFiles(samples, "*.yaml").Order(StringComparer.Ordinal)
            .Select(path => (Path.GetFileName(path), File.ReadAllText(path)));
        return
        [
            .. files,
            ("service.yaml", HandService),
            ("slice.yaml", HandSlice),
            ("vs.yaml", HandVirtualService),
            ("dr.yaml", HandDestinationRule),
            ("gw.yaml", HandGateway),
            ("se.yaml", HandServiceEntry),
            ("tlsgw.yaml", HandTlsGateway),
            ("pa.yaml", HandPeerAuthentication),
            ("ap.yaml", HandAuthorizationPolicy),
            ("all.yaml", string.Join("\n---\n", HandService, HandSlice, HandVirtualService, HandDestinationRule, HandGateway, HandServiceEntry)),
        ];
    }

    private static int Indent(string line) => line.Trim().Length == 0 ? int.MaxValue : line.Length - line.TrimStart(' ').Length;

    [GeneratedRegex(@"^(?<prefix> *(- )?)(?<key>[A-Za-z][-A-Za-z0-9./]*):(?: (?<value>.*))?$", RegexOptions.CultureInvariant)]
    private static partial Regex FieldLine();

    [GeneratedRegex("[0-9]+", RegexOptions.CultureInvariant)]
    private static partial Regex Digits();
}
