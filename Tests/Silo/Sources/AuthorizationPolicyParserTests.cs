using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// AuthorizationPolicies as Istio's documentation writes them, what Istio's
/// <c>ValidateAuthorizationPolicy</c> refuses, and what the mesh cannot enforce, each refusal naming
/// its field and reason.
/// </summary>
public sealed class AuthorizationPolicyParserTests
{
    [Fact]
    public void AnAllowFromIstiosDocs_IsReadIntoTheModel()
    {
        // Istio's AuthorizationPolicy reference: "allows two sources ... to access the workload with GET at /info*".
        var policy = Read("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: httpbin
              namespace: foo
              annotations: {istio.io/dry-run: "true"}
            spec:
              selector:
                matchLabels: {app: httpbin, version: v1}
              action: ALLOW
              rules:
              - from:
                - source:
                    principals: ["cluster.local/ns/default/sa/sleep"]
                - source:
                    namespaces: ["test"]
                    notIpBlocks: ["10.0.0.0/8"]
                to:
                - operation:
                    methods: ["GET"]
                    paths: ["/info*"]
                    ports: ["8080"]
                when:
                - key: request.headers[version]
                  values: ["v1", "v2"]
                - key: source.ip
                  notValues: ["10.1.2.3"]
              - ~
            """);

        Assert.Equal(("foo", "httpbin", AuthorizationAction.Allow, true), (policy.Namespace, policy.Name, policy.Action, policy.DryRun));
        Assert.Equal(new Dictionary<string, string> { ["app"] = "httpbin", ["version"] = "v1" }, policy.Selector);
        Assert.Equal(2, policy.Rules.Count);
        Assert.Null(policy.Rules[1]);
        var rule = policy.Rules[0]!;
        Assert.Equal(["cluster.local/ns/default/sa/sleep"], rule.From[0].Principals);
        Assert.Equal(["test"], rule.From[1].Namespaces);
        Assert.Equal(["10.0.0.0/8"], rule.From[1].NotIpBlocks);
        Assert.Equal(["GET"], rule.To[0].Methods);
        Assert.Equal(["/info*"], rule.To[0].Paths);
        Assert.Equal([8080], rule.To[0].Ports);
        Assert.Equal(["request.headers[version]", "source.ip"], rule.When.Select(w => w.Key));
        Assert.Equal(["10.1.2.3"], rule.When[1].NotValues);
    }

    [Fact]
    public void AnEmptySpec_IsAnAllowWithoutRules_ThatAllowsNothing()
    {
        var policy = Read("apiVersion: security.istio.io/v1beta1\nkind: AuthorizationPolicy\nmetadata: {name: allow-nothing, namespace: foo}\nspec: {}\n");

        Assert.Equal((AuthorizationAction.Allow, 0), (policy.Action, policy.Rules.Count));
    }

    [Theory]
    [InlineData("{action: CUSTOM, provider: {name: ext}}", "spec.action", "external authorizer")]
    [InlineData("{action: MAYBE}", "spec.action", "is not ALLOW, DENY, AUDIT or CUSTOM")]
    [InlineData("{targetRef: {kind: Gateway, name: g}}", "spec.targetRef", "Gateway API")]
    [InlineData("{rules: [{from: [{source: {requestPrincipals: ['*']}}]}]}", "spec.rules[0].from[0].source.requestPrincipals", "RequestAuthentication")]
    [InlineData("{rules: [{from: [{source: {}}]}]}", "spec.rules[0].from[0].source", "must not be empty")]
    [InlineData("{rules: [{to: [{operation: {}}]}]}", "spec.rules[0].to[0].operation", "must not be empty")]
    [InlineData("{rules: [{to: [{operation: {ports: ['http']}}]}]}", "spec.rules[0].to[0].operation.ports[0]", "not a port number")]
    [InlineData("{rules: [{to: [{operation: {ports: ['70000']}}]}]}", "spec.rules[0].to[0].operation.ports[0]", "not a port number")]
    [InlineData("{rules: [{to: [{operation: {paths: ['/a/{*}']}}]}]}", "spec.rules[0].to[0].operation.paths[0]", "path templates")]
    [InlineData("{rules: [{to: [{operation: {methods: ['']}}]}]}", "spec.rules[0].to[0].operation.methods[0]", "non-empty")]
    [InlineData("{rules: [{from: [{source: {ipBlocks: ['10.0.0.0/33']}}]}]}", "spec.rules[0].from[0].source.ipBlocks[0]", "")]
    [InlineData("{rules: [{when: [{key: 'request.auth.claims[iss]', values: [a]}]}]}", "spec.rules[0].when[0].key", "RequestAuthentication")]
    [InlineData("{rules: [{when: [{key: source.unknown, values: [a]}]}]}", "spec.rules[0].when[0].key", "not a condition key")]
    [InlineData("{rules: [{when: [{key: source.ip}]}]}", "spec.rules[0].when[0]", "needs values or notValues")]
    [InlineData("{rules: [{when: [{key: destination.port, values: [port]}]}]}", "spec.rules[0].when[0].values", "not a port number")]
    [InlineData("{rules: [{from: [{principals: [a]}]}]}", "spec.rules[0].from[0].principals", "not a known field")]
    public void APolicyIstioRefusesOrTheMeshCannotEnforce_IsRejectedNamingItsFieldAndReason(string spec, string field, string reason)
    {
        var document = Parse($"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: p, namespace: foo}}\nspec: {spec}\n");

        var rejection = Assert.IsType<RejectedObject>(document.Rejection);
        Assert.Equal(field, rejection.Field);
        Assert.Contains(reason, rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ADryRunAnnotationThatIsNotABoolean_IsRejected()
    {
        var document = Parse("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo, annotations: {istio.io/dry-run: maybe}}\nspec: {}\n");

        Assert.Equal("metadata.annotations[istio.io/dry-run]", Assert.IsType<RejectedObject>(document.Rejection).Field);
    }

    private static ParsedDocument Parse(string yaml) => Assert.Single(KubernetesObjectParser.Parse("ap.yaml", yaml).Documents);

    private static AuthorizationPolicySpec Read(string yaml)
    {
        var document = Parse(yaml);
        Assert.True(document.Rejection is null, $"{document.Rejection?.Field}: {document.Rejection?.Reason}");
        return Assert.IsType<AuthorizationPolicySpec>(document.Value);
    }
}
