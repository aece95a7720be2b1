using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;
using Mesh.Orleans.Tests.Infrastructure;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;
using NetworkRbac = Envoy.Extensions.Filters.Network.Rbac.V3.RBAC;

namespace Mesh.Orleans.Tests.Grains.Translation;

/// <summary>
/// AuthorizationPolicies as RBAC filters, compared with the JSON Istio's builder writes for them
/// (worked from pilot/pkg/security/authz/builder and its golden files, trust domain cluster.local),
/// and checked against Envoy's validate rules.
/// </summary>
public sealed class AuthorizationTranslatorTests(EnvoyValidation validation) : IClassFixture<EnvoyValidation>
{
    private static readonly JsonParser s_json = new(JsonParser.Settings.Default);

    [Fact]
    public async Task AnAllowWithTwoSourcesAnOperationAndAHeaderCondition_IsIstiosPolicy_AndATcpChainDropsIt()
    {
        var policy = Policy("foo", "httpbin-viewer", AuthorizationAction.Allow, new AuthorizationRuleSpec(
            [Source(principals: ["cluster.local/ns/bar/sa/sleep"]), Source(namespaces: ["test-*"])],
            [Operation(methods: ["GET", "HEAD"], paths: ["/info*", "*/status"])],
            [new AuthorizationConditionSpec("request.headers[x-token]", ["*"], [])]));

        var filter = Assert.Single(AuthorizationTranslator.HttpFilters([policy], "cluster.local"));

        Assert.Equal("envoy.filters.http.rbac", filter.Name);
        Assert.Equal(s_json.Parse<HttpRbac>("""
            {"rules": {"policies": {"ns[foo]-policy[httpbin-viewer]-rule[0]": {
              "permissions": [{"and_rules": {"rules": [
                {"or_rules": {"rules": [
                  {"header": {"name": ":method", "string_match": {"exact": "GET"}}},
                  {"header": {"name": ":method", "string_match": {"exact": "HEAD"}}}]}},
                {"or_rules": {"rules": [
                  {"url_path": {"path": {"prefix": "/info"}}},
                  {"url_path": {"path": {"suffix": "/status"}}}]}}]}}],
              "principals": [
                {"and_ids": {"ids": [
                  {"or_ids": {"ids": [{"authenticated": {"principal_name": {"exact": "spiffe://cluster.local/ns/bar/sa/sleep"}}}]}},
                  {"or_ids": {"ids": [{"header": {"name": "x-token", "present_match": true}}]}}]}},
                {"and_ids": {"ids": [
                  {"or_ids": {"ids": [{"authenticated": {"principal_name": {"safe_regex": {"regex": ".*/ns/test-.*/.*"}}}}]}},
                  {"or_ids": {"ids": [{"header": {"name": "x-token", "present_match": true}}]}}]}}]}}},
             "shadow_rules_stat_prefix": "istio_dry_run_allow_"}
            """), filter.TypedConfig.Unpack<HttpRbac>());

        // On a TCP chain the rule names HTTP-only fields: dropped, and an ALLOW filter without policies denies every connection.
        var tcp = Assert.Single(AuthorizationTranslator.NetworkFilters([policy], "cluster.local"));
        Assert.Equal(s_json.Parse<NetworkRbac>("""{"rules": {}, "stat_prefix": "tcp.", "shadow_rules_stat_prefix": "istio_dry_run_allow_"}"""), tcp.TypedConfig.Unpack<NetworkRbac>());
        Assert.Empty(await validation.ValidateAsync(Chain(filter, tcp)));
    }

    [Fact]
    public void ADenyWithNotNamespacesHostsAndPorts_IsIstiosPolicy_AndATcpChainKeepsItBroader()
    {
        var policy = Policy("foo", "deny-admin", AuthorizationAction.Deny, new AuthorizationRuleSpec(
            [Source(notNamespaces: ["foo", "istio-system"])],
            [Operation(hosts: ["admin.example.com", "admin.example.com:*"], ports: [8080])],
            []));

        var http = Assert.Single(AuthorizationTranslator.HttpFilters([policy], "cluster.local")).TypedConfig.Unpack<HttpRbac>();
        var tcp = Assert.Single(AuthorizationTranslator.NetworkFilters([policy], "cluster.local")).TypedConfig.Unpack<NetworkRbac>();

        const string Principals = """
            "principals": [{"and_ids": {"ids": [{"not_id": {"or_ids": {"ids": [
              {"authenticated": {"principal_name": {"safe_regex": {"regex": ".*/ns/foo/.*"}}}},
              {"authenticated": {"principal_name": {"safe_regex": {"regex": ".*/ns/istio-system/.*"}}}}]}}}]}}]
            """;
        Assert.Equal(s_json.Parse<HttpRbac>("""
            {"rules": {"action": "DENY", "policies": {"ns[foo]-policy[deny-admin]-rule[0]": {
              "permissions": [{"and_rules": {"rules": [
                {"or_rules": {"rules": [
                  {"header": {"name": ":authority", "string_match": {"exact": "admin.example.com", "ignore_case": true}}},
                  {"header": {"name": ":authority", "string_match": {"prefix": "admin.example.com:", "ignore_case": true}}}]}},
                {"or_rules": {"rules": [{"destination_port": 8080}]}}]}}],
              PRINCIPALS}}},
             "shadow_rules_stat_prefix": "istio_dry_run_allow_"}
            """.Replace("PRINCIPALS", Principals, StringComparison.Ordinal)), http);
        Assert.Equal(s_json.Parse<NetworkRbac>("""
            {"stat_prefix": "tcp.",
             "rules": {"action": "DENY", "policies": {"ns[foo]-policy[deny-admin]-rule[0]": {
              "permissions": [{"and_rules": {"rules": [{"or_rules": {"rules": [{"destination_port": 8080}]}}]}}],
              PRINCIPALS}}},
             "shadow_rules_stat_prefix": "istio_dry_run_allow_"}
            """.Replace("PRINCIPALS", Principals, StringComparison.Ordinal)), tcp);
    }

    [Fact]
    public void AllowNothing_ADryRunDeny_AndAMeshWideAllow_AreTwoFilters_DenyFirst_TheDryRunAsShadowRules()
    {
        var nothing = Policy("foo", "allow-nothing", AuthorizationAction.Allow);
        var probe = Policy("foo", "probe-deny", AuthorizationAction.Deny, new AuthorizationRuleSpec([], [Operation(paths: ["/admin/*"])], [])) with { DryRun = true };
        var health = Policy("istio-system", "health", AuthorizationAction.Allow, new AuthorizationRuleSpec([], [Operation(paths: ["/healthz"])], []));

        var filters = AuthorizationTranslator.HttpFilters([health, nothing, probe], "cluster.local");

        Assert.Equal(2, filters.Count);
        Assert.Equal(s_json.Parse<HttpRbac>("""
            {"shadow_rules": {"action": "DENY", "policies": {"ns[foo]-policy[probe-deny]-rule[0]": {
               "permissions": [{"and_rules": {"rules": [{"or_rules": {"rules": [{"url_path": {"path": {"prefix": "/admin/"}}}]}}]}}],
               "principals": [{"and_ids": {"ids": [{"any": true}]}}]}}},
             "shadow_rules_stat_prefix": "istio_dry_run_deny_"}
            """), filters[0].TypedConfig.Unpack<HttpRbac>());
        Assert.Equal(s_json.Parse<HttpRbac>("""
            {"rules": {"policies": {
               "ns[istio-system]-policy[health]-rule[0]": {
                 "permissions": [{"and_rules": {"rules": [{"or_rules": {"rules": [{"url_path": {"path": {"exact": "/healthz"}}}]}}]}}],
                 "principals": [{"and_ids": {"ids": [{"any": true}]}}]},
               "ns[foo]-policy[allow-nothing]-rule[0]": {
                 "permissions": [{"not_rule": {"any": true}}],
                 "principals": [{"not_id": {"any": true}}]}}},
             "shadow_rules_stat_prefix": "istio_dry_run_allow_"}
            """), filters[1].TypedConfig.Unpack<HttpRbac>());
    }

    [Fact]
    public async Task AnEmptyRule_AllowsEverything_AProxylessServerGetsDenyThenAllowUnderItsOwnNames()
    {
        var all = Policy("foo", "all", AuthorizationAction.Allow, new AuthorizationRuleSpec([], [], []));
        var deny = Policy("foo", "no-admin", AuthorizationAction.Deny, new AuthorizationRuleSpec([], [Operation(paths: ["/admin*"])], []));
        var audit = Policy("foo", "audit", AuthorizationAction.Audit, new AuthorizationRuleSpec([], [], []));

        var allow = Assert.Single(AuthorizationTranslator.HttpFilters([all], "cluster.local")).TypedConfig.Unpack<HttpRbac>();
        Assert.Equal(s_json.Parse<Envoy.Config.Rbac.V3.Policy>("""{"permissions": [{"and_rules": {"rules": [{"any": true}]}}], "principals": [{"and_ids": {"ids": [{"any": true}]}}]}"""), allow.Rules.Policies["ns[foo]-policy[all]-rule[0]"]);
        Assert.Equal(Envoy.Config.Rbac.V3.RBAC.Types.Action.Log, AuthorizationTranslator.HttpFilters([audit], "cluster.local")[0].TypedConfig.Unpack<HttpRbac>().Rules.Action);

        var grpc = AuthorizationTranslator.ProxylessFilters([all, deny, audit], "cluster.local");
        Assert.Equal(["envoy.filters.http.rbac.DENY", "envoy.filters.http.rbac"], grpc.Select(f => f.Name));
        Assert.Equal(["foo-no-admin-0"], grpc[0].TypedConfig.Unpack<HttpRbac>().Rules.Policies.Keys);
        Assert.Equal(["foo-all-0"], grpc[1].TypedConfig.Unpack<HttpRbac>().Rules.Policies.Keys);
        Assert.Empty(await validation.ValidateAsync(WorkloadTranslator.ServerListener("xds.istio.io/grpc/lds/inbound/0.0.0.0:8080", "0.0.0.0", 8080, MtlsMode.Strict, grpc)));
    }

    [Fact]
    public void APrincipalOfIstiosDefaultTrustDomain_NamesTheMeshs()
    {
        var policy = Policy("foo", "p", AuthorizationAction.Allow, new AuthorizationRuleSpec([Source(principals: ["cluster.local/ns/a/sa/b", "*-admin", "other.domain/ns/a/sa/b"])], [], []));

        var rule = AuthorizationTranslator.HttpFilters([policy], "example.org")[0].TypedConfig.Unpack<HttpRbac>().Rules.Policies.Single().Value;

        var names = rule.Principals[0].AndIds.Ids[0].OrIds.Ids.Select(p => p.Authenticated.PrincipalName.ToString()).ToList();
        Assert.Equal(["{ \"exact\": \"spiffe://example.org/ns/a/sa/b\" }", "{ \"safeRegex\": { \"regex\": \"spiffe://.*-admin\" } }", "{ \"exact\": \"spiffe://other.domain/ns/a/sa/b\" }"], names);
    }

    private static Listener Chain(HttpFilter http, Filter tcp)
    {
        var manager = new Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager
        {
            StatPrefix = "inbound",
            RouteConfig = new Envoy.Config.Route.V3.RouteConfiguration { Name = "inbound" },
            HttpFilters = { http, new HttpFilter { Name = ListenerTranslator.RouterFilterName, TypedConfig = Google.Protobuf.WellKnownTypes.Any.Pack(new Envoy.Extensions.Filters.Http.Router.V3.Router()) } },
        };
        var listener = WorkloadTranslator.VirtualInbound([new WorkloadPort(8080, MeshProtocol.Http)]);
        listener.FilterChains[0].Filters[0].TypedConfig = Google.Protobuf.WellKnownTypes.Any.Pack(manager);
        listener.FilterChains[^1].Filters.Insert(0, tcp);
        return listener;
    }

    private static AuthorizationPolicySpec Policy(string ns, string name, AuthorizationAction action, params AuthorizationRuleSpec[] rules) =>
        new(ns, name, null, action, rules);

    private static AuthorizationSourceSpec Source(string[]? principals = null, string[]? namespaces = null, string[]? notNamespaces = null) =>
        new(principals ?? [], [], namespaces ?? [], notNamespaces ?? [], [], [], [], []);

    private static AuthorizationOperationSpec Operation(string[]? hosts = null, int[]? ports = null, string[]? methods = null, string[]? paths = null) =>
        new(hosts ?? [], [], ports ?? [], [], methods ?? [], [], paths ?? [], []);
}
