using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// PeerAuthentications as Istio's documentation writes them (mesh-wide STRICT, a namespace's
/// PERMISSIVE, a workload's with port-level modes), and what Istio's
/// <c>ValidatePeerAuthentication</c> refuses, each refusal naming its field and reason.
/// </summary>
public sealed class PeerAuthenticationParserTests
{
    [Fact]
    public void MeshWideStrict_FromIstiosDocs_IsReadIntoTheModel()
    {
        var policy = Read("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: istio-system, creationTimestamp: "2024-05-01T10:00:00Z"}
            spec:
              mtls:
                mode: STRICT
            """);

        Assert.Equal(("istio-system", "default", MtlsMode.Strict), (policy.Namespace, policy.Name, policy.Mode));
        Assert.Null(policy.Selector);
        Assert.Empty(policy.PortLevelMtls);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero), policy.CreationTimestamp);
    }

    [Fact]
    public void AWorkloadPolicyWithPortLevelModes_FromIstiosDocs_IsReadIntoTheModel()
    {
        // Istio's PeerAuthentication reference: "mTLS mode for all finance workloads, but leave port 8080 to plaintext".
        var policy = Read("""
            apiVersion: security.istio.io/v1beta1
            kind: PeerAuthentication
            metadata: {name: finance, namespace: foo}
            spec:
              selector:
                matchLabels:
                  app: finance
              mtls:
                mode: STRICT
              portLevelMtls:
                8080:
                  mode: DISABLE
                9090: {}
            """);

        Assert.Equal(new Dictionary<string, string> { ["app"] = "finance" }, policy.Selector);
        Assert.Equal(MtlsMode.Strict, policy.Mode);
        Assert.Equal(new Dictionary<int, MtlsMode> { [8080] = MtlsMode.Disable, [9090] = MtlsMode.Unset }, policy.PortLevelMtls);
    }

    [Fact]
    public void AnEmptySpec_IsANamespaceWidePolicyThatInheritsItsMode()
    {
        var policy = Read("apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: foo}\n");

        Assert.Equal(MtlsMode.Unset, policy.Mode);
        Assert.Null(policy.Selector);
    }

    [Theory]
    [InlineData("{mtls: {mode: MUTUAL}}", "spec.mtls.mode", "'MUTUAL' is not a mode")]
    [InlineData("{mtls: {mode: STRICT}, portLevelMtls: {8080: {mode: DISABLE}}}", "spec.portLevelMtls", "needs a selector")]
    [InlineData("{selector: {matchLabels: {}}, portLevelMtls: {8080: {mode: DISABLE}}}", "spec.portLevelMtls", "needs a selector")]
    [InlineData("{selector: {matchLabels: {app: a}}, portLevelMtls: {}}", "spec.portLevelMtls", "is empty")]
    [InlineData("{selector: {matchLabels: {app: a}}, portLevelMtls: {0: {mode: STRICT}}}", "spec.portLevelMtls[0]", "port number from 1 to 65535")]
    [InlineData("{selector: {matchLabels: {app: a}}, portLevelMtls: {http: {mode: STRICT}}}", "spec.portLevelMtls[http]", "port number from 1 to 65535")]
    [InlineData("{selector: {matchLabels: {app: a}}, portLevelMtls: {8080: STRICT}}", "spec.portLevelMtls[8080]", "must be a map")]
    [InlineData("{mtls: {mode: STRICT, extra: 1}}", "spec.mtls.extra", "not a known field")]
    [InlineData("{targetRef: {kind: Service, name: a}}", "spec.targetRef", "not a known field")]
    [InlineData("{mtls: [STRICT]}", "spec.mtls", "")]
    public void APolicyIstioRefuses_IsRejectedNamingItsFieldAndReason(string spec, string field, string reason)
    {
        var document = Parse($"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {{name: pa, namespace: foo}}\nspec: {spec}\n");

        var rejection = Assert.IsType<RejectedObject>(document.Rejection);
        Assert.StartsWith(field, rejection.Field, StringComparison.Ordinal);
        Assert.Contains(reason, rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownVersion_IsRejected_AndOtherSecurityKindsAreReportedAsNotSupported()
    {
        var wrong = Parse("apiVersion: security.istio.io/v2\nkind: PeerAuthentication\nmetadata: {name: pa, namespace: foo}\nspec: {}\n");
        Assert.Equal("apiVersion", Assert.IsType<RejectedObject>(wrong.Rejection).Field);

        var authz = Parse("apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: ra, namespace: foo}\nspec: {}\n");
        Assert.Contains("not supported yet", Assert.IsType<IgnoredObject>(authz.Value).Reason, StringComparison.Ordinal);
    }

    private static ParsedDocument Parse(string yaml) => Assert.Single(KubernetesObjectParser.Parse("pa.yaml", yaml).Documents);

    private static PeerAuthenticationSpec Read(string yaml)
    {
        var document = Parse(yaml);
        Assert.True(document.Rejection is null, $"{document.Rejection?.Field}: {document.Rejection?.Reason}");
        return Assert.IsType<PeerAuthenticationSpec>(document.Value);
    }
}
