using Mesh.Orleans.Grains;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Scoping;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Tests.Grains.Scoping;

/// <summary>
/// The visibility rules, one test per rule, each citing what Istio's code
/// (pilot/pkg/model/sidecar.go, virtualservice.go, push_context.go, pkg/config/host/name.go) or
/// its documentation (the Sidecar reference, "exportTo") says.
/// </summary>
public sealed class ProxyVisibilityTests
{
    private static readonly Dictionary<string, string> s_noLabels = [];
    private static readonly MeshScopingOptions s_defaults = new();

    // ---- SelectSidecar ----------------------------------------------------------------------

    [Fact]
    public void SelectSidecar_WorkloadSelectedSidecar_WinsOverTheNamespaceWideOne()
    {
        // push_context.go initSidecarScopes: "sidecars with selector take preference"; getSidecarScope
        // returns the first whose selector is a subset of the workload's labels.
        var wide = Sidecar("shop", "default");
        var ratings = Sidecar("shop", "ratings", selector: new() { ["app"] = "ratings" });

        Assert.Same(ratings, ProxyVisibility.SelectSidecar("shop", new Dictionary<string, string> { ["app"] = "ratings", ["v"] = "1" }, [wide, ratings], "istio-system"));
        Assert.Same(wide, ProxyVisibility.SelectSidecar("shop", new Dictionary<string, string> { ["app"] = "reviews" }, [wide, ratings], "istio-system"));
    }

    [Fact]
    public void SelectSidecar_SeveralSelectingOrNamespaceWide_TheOldestWins_ThenByName()
    {
        // push_context.go sortConfigByCreationTime (configCompareByCreationTime): creation time,
        // then name, then namespace; a missing time is Go's zero time, the oldest.
        var older = Sidecar("shop", "b", selector: new() { ["app"] = "a" }, created: At(1));
        var newer = Sidecar("shop", "a", selector: new() { ["app"] = "a" }, created: At(2));
        var wideNoTime = Sidecar("shop", "z");
        var wideTimed = Sidecar("shop", "a-wide", created: At(0));
        var sameTimeB = Sidecar("shop", "y", selector: new() { ["x"] = "1" }, created: At(5));
        var sameTimeA = Sidecar("shop", "x", selector: new() { ["x"] = "1" }, created: At(5));

        Assert.Same(older, ProxyVisibility.SelectSidecar("shop", new Dictionary<string, string> { ["app"] = "a" }, [newer, older], "istio-system"));
        Assert.Same(wideNoTime, ProxyVisibility.SelectSidecar("shop", s_noLabels, [wideTimed, wideNoTime], "istio-system"));
        Assert.Same(sameTimeA, ProxyVisibility.SelectSidecar("shop", new Dictionary<string, string> { ["x"] = "1" }, [sameTimeB, sameTimeA], "istio-system"));
    }

    [Fact]
    public void SelectSidecar_EmptySelector_SelectsEveryWorkload_AheadOfTheNamespaceWideOne()
    {
        // validation.go: a workloadSelector without labels is only a warning ("will be applied to
        // all services in namespace"); getSidecarScope: an empty label set is a subset of any labels,
        // and selector Sidecars come first.
        var wide = Sidecar("shop", "default", created: At(0));
        var empty = Sidecar("shop", "everyone", selector: [], created: At(9));

        Assert.Same(empty, ProxyVisibility.SelectSidecar("shop", s_noLabels, [wide, empty], "istio-system"));
    }

    [Fact]
    public void SelectSidecar_NoneOfTheNamespace_TheRootNamespacesDefaultApplies_ElseNone()
    {
        // getSidecarScope: without a Sidecar of its own namespace a proxy takes meshRootSidecarConfig
        // (the root namespace's Sidecar without a selector), else the default scope (nil Sidecar).
        var root = Sidecar("istio-system", "default");
        var rootSelecting = Sidecar("istio-system", "gw", selector: new() { ["app"] = "x" });
        var otherNamespace = Sidecar("billing", "default");
        var notMatching = Sidecar("shop", "ratings", selector: new() { ["app"] = "ratings" });

        Assert.Same(root, ProxyVisibility.SelectSidecar("shop", new Dictionary<string, string> { ["app"] = "x" }, [rootSelecting, otherNamespace, notMatching, root], "istio-system"));
        Assert.Null(ProxyVisibility.SelectSidecar("shop", new Dictionary<string, string> { ["app"] = "x" }, [rootSelecting, otherNamespace, notMatching], "istio-system"));
        Assert.Same(rootSelecting, ProxyVisibility.SelectSidecar("istio-system", new Dictionary<string, string> { ["app"] = "x" }, [rootSelecting, root], "istio-system"));
        Assert.Same(otherNamespace, ProxyVisibility.SelectSidecar("shop", s_noLabels, [otherNamespace], "billing"));
    }

    // ---- IsExported ---------------------------------------------------------------------------

    [Theory]
    [InlineData(new[] { "." }, "shop", "shop", true)]
    [InlineData(new[] { "." }, "shop", "web", false)]
    [InlineData(new[] { "*" }, "shop", "web", true)]
    [InlineData(new[] { "~" }, "shop", "shop", false)]
    [InlineData(new[] { "web", "api" }, "shop", "api", true)]
    [InlineData(new[] { "web", "api" }, "shop", "shop", false)]
    [InlineData(new[] { "shop" }, "shop", "shop", true)]
    [InlineData(new[] { "*", "web" }, "shop", "any", true)]
    public void IsExported_DotOwnNamespace_StarEveryone_TildeNoOne_NamesThoseNamespaces(string[] exportTo, string objectNamespace, string proxyNamespace, bool expected)
    {
        // Istio's exportTo reference: "." the same namespace, "*" all namespaces, "~" none (a
        // ServiceEntry's or Service's), or namespace names; push_context.go IsServiceVisible.
        Assert.Equal(expected, ProxyVisibility.IsExported(objectNamespace, exportTo, null, proxyNamespace));
    }

    [Fact]
    public void IsExported_WithoutExportTo_TakesTheMeshDefault_WhichIsStarWhenUnset()
    {
        // push_context.go initDefaultExportMaps: defaultServiceExportTo etc. when set, else "*";
        // serviceExportTo: the object's own exportTo when it has one.
        Assert.True(ProxyVisibility.IsExported("shop", null, null, "web"));
        Assert.True(ProxyVisibility.IsExported("shop", [], [], "web"));
        Assert.False(ProxyVisibility.IsExported("shop", null, ["."], "web"));
        Assert.True(ProxyVisibility.IsExported("shop", null, [".", "web"], "web"));
        Assert.True(ProxyVisibility.IsExported("shop", ["*"], ["."], "web"));
    }

    // ---- EgressHostMatches / EgressHostExcludes ----------------------------------------------

    [Theory]
    [InlineData("*/api.example.com", "any", "api.example.com", true)]
    [InlineData("./api.example.com", "shop", "api.example.com", true)]
    [InlineData("./api.example.com", "web", "api.example.com", false)]
    [InlineData("web/*", "web", "x.web.svc.cluster.local", true)]
    [InlineData("web/*", "shop", "x.shop.svc.cluster.local", false)]
    [InlineData("*/*", "any", "anything.example.com", true)]
    [InlineData("*/*.example.com", "any", "a.example.com", true)]
    [InlineData("*/*.example.com", "any", "*.a.example.com", true)]
    [InlineData("*/*.example.com", "any", "example.com", false)]
    [InlineData("*/a.example.com", "any", "*.example.com", false)]
    [InlineData("*/*.a.example.com", "any", "*.example.com", false)]
    [InlineData("~/*", "any", "a.example.com", false)]
    [InlineData("*", "any", "a.example.com", false)]
    public void EgressHostMatches_NamespaceSlashDnsName_AsIstioImportsServices(string egressHost, string objectNamespace, string hostname, bool expected)
    {
        // Sidecar reference, IstioEgressListener.hosts: "namespace/dnsName", "*" any namespace, "."
        // the Sidecar's namespace; "the dnsName should be specified using FQDN format, optionally
        // including a wildcard character in the left-most component". sidecar.go hostClassification.Matches
        // uses host.Name.SubsetOf ("*.foo.com" does not cover "foo.com").
        Assert.Equal(expected, ProxyVisibility.EgressHostMatches(egressHost, objectNamespace, hostname, proxyNamespace: "shop"));
    }

    [Theory]
    [InlineData("shop/a.example.com", "*.example.com", true)]
    [InlineData("shop/*.example.com", "a.example.com", true)]
    [InlineData("shop/b.example.com", "a.example.com", false)]
    [InlineData("web/*", "a.example.com", false)]
    public void EgressHostMatches_ForAVirtualService_MatchesEitherWay(string egressHost, string virtualServiceHost, bool expected)
    {
        // sidecar.go VSMatches without gateway semantics: "The old way. We check Matches which is
        // bi-directional"; the namespace is the VirtualService's (SelectVirtualServices).
        Assert.Equal(expected, ProxyVisibility.EgressHostMatches(egressHost, "shop", virtualServiceHost, "shop", virtualService: true));
    }

    [Theory]
    [InlineData("~/*", "any", "a.example.com", true)]
    [InlineData("~ns1/*", "ns1", "a.ns1.svc.cluster.local", true)]
    [InlineData("~ns1/*", "ns2", "a.ns2.svc.cluster.local", false)]
    [InlineData("~/foo.com", "any", "foo.com", true)]
    [InlineData("~/foo.com", "any", "bar.foo.com", false)]
    [InlineData("~./*.internal.com", "shop", "a.internal.com", true)]
    [InlineData("~./*.internal.com", "web", "a.internal.com", false)]
    [InlineData("*/*", "any", "a.example.com", false)]
    public void EgressHostExcludes_TildePrefixedHost_RemovesWhatItCovers(string egressHost, string objectNamespace, string hostname, bool expected)
    {
        // sidecar.go convertIstioListenerToWrapper: a "~"-prefixed namespace is an exclusion ("~"
        // alone is the wildcard namespace); hostClassification.Excluded uses SubsetOf. The
        // validation tests name "~/*" "import nothing" and "*/*, ~ns1/*" "import all except a namespace".
        Assert.Equal(expected, ProxyVisibility.EgressHostExcludes(egressHost, objectNamespace, hostname, proxyNamespace: "shop"));
    }

    [Fact]
    public void ListenerImports_AnExclusionWinsOverAnyImport()
    {
        // sidecar.go selectServices: "Skip services excluded by a ~-prefixed host in the service's
        // namespace or wildcard scope" before looking for an import.
        string[] hosts = ["*/*", "~ns1/*", "~/secret.example.com"];

        Assert.True(ProxyVisibility.ListenerImports(hosts, "ns2", "a.ns2.svc.cluster.local", "shop"));
        Assert.False(ProxyVisibility.ListenerImports(hosts, "ns1", "a.ns1.svc.cluster.local", "shop"));
        Assert.False(ProxyVisibility.ListenerImports(hosts, "ns2", "secret.example.com", "shop"));
        Assert.False(ProxyVisibility.ListenerImports(["~/*"], "shop", "a.shop.svc.cluster.local", "shop"));
    }

    // ---- VisibleHostnames ---------------------------------------------------------------------

    [Fact]
    public void VisibleHostnames_WithoutASidecar_EverythingExportedToTheNamespace()
    {
        // sidecar.go initSidecarScopeInternalIndexes: "If egress not set, setup a default listener"
        // importing "*/*"; push_context.go servicesExportedToNamespace keeps only what is exported.
        var services = new[]
        {
            Service("shop", "cart"),
            Service("billing", "ledger", exportTo: ["."]),
            Service("billing", "invoice", exportTo: ["shop"]),
            Service("billing", "pdf", exportTo: ["web"]),
        };
        var entries = new[] { Entry("shop", ["api.example.com"]), Entry("ops", ["hidden.example.com"], exportTo: ["~"]) };

        var visible = ProxyVisibility.VisibleHostnames("shop", null, services, entries, [], s_defaults);

        Assert.Equal(["api.example.com", Host("cart", "shop"), Host("invoice", "billing")], visible);
    }

    [Fact]
    public void VisibleHostnames_NamespaceSidecar_LimitsEgressToItsHosts()
    {
        // Sidecar reference: "egress traffic to public services in the prod-us1, prod-apis, and the
        // istio-system namespaces" with hosts prod-us1/*, prod-apis/*, istio-system/*.
        var sidecar = Sidecar("shop", "default", egress: [Egress(null, "./*", "shared/*", "*/api.example.com")]);
        var services = new[] { Service("shop", "cart"), Service("shared", "auth"), Service("billing", "ledger") };
        var entries = new[] { Entry("ops", ["api.example.com", "other.example.com"]) };

        var visible = ProxyVisibility.VisibleHostnames("shop", sidecar, services, entries, [], s_defaults);

        Assert.Equal(["api.example.com", Host("auth", "shared"), Host("cart", "shop")], visible);
    }

    [Fact]
    public void VisibleHostnames_ListenerWithAPort_ImportsOnlyServicesWithThatPort_ExceptHttpProxy()
    {
        // sidecar.go needsPortMatch: "If a listener is defined with a port, we should match services
        // with port except ... HTTP_PROXY"; serviceMatchingListenerPort.
        var services = new[] { Service("shop", "web", 80, 8080), Service("shop", "db", 5432) };
        var onPort = Sidecar("shop", "default", egress: [Egress(new SidecarPortSpec(8080, "HTTP", null), "./*")]);
        var proxy = Sidecar("shop", "proxy", egress: [Egress(new SidecarPortSpec(3128, "HTTP_PROXY", null), "./*")]);

        Assert.Equal([Host("web", "shop")], ProxyVisibility.VisibleHostnames("shop", onPort, services, [], [], s_defaults));
        Assert.Equal([Host("db", "shop"), Host("web", "shop")], ProxyVisibility.VisibleHostnames("shop", proxy, services, [], [], s_defaults));
    }

    [Fact]
    public void VisibleHostnames_AnImportedVirtualService_BringsItsDestinations()
    {
        // sidecar.go collectImportedServices: "Infer more possible destinations from virtual services".
        var sidecar = Sidecar("shop", "default", egress: [Egress(null, "./*")]);
        var services = new[] { Service("shop", "cart"), Service("billing", "ledger"), Service("billing", "audit") };
        var routing = VirtualService("shop", "cart-routes", [Host("cart", "shop")], Host("ledger", "billing"));
        var elsewhere = VirtualService("billing", "audit-routes", [Host("audit", "billing")], Host("audit", "billing"));

        var visible = ProxyVisibility.VisibleHostnames("shop", sidecar, services, [], [routing, elsewhere], s_defaults);

        Assert.Equal([Host("cart", "shop"), Host("ledger", "billing")], visible);
    }

    [Fact]
    public void VisibleHostnames_RootNamespaceSidecar_ReadsDotAsEachProxysNamespace()
    {
        // getSidecarScope: convertToSidecarScope(ps, meshRootSidecarConfig, proxy.ConfigNamespace),
        // so "." in the root Sidecar's hosts is the proxy's namespace, not istio-system.
        var root = Sidecar("istio-system", "default", egress: [Egress(null, "./*", "istio-system/*")]);
        var services = new[] { Service("shop", "cart"), Service("web", "page"), Service("istio-system", "istiod") };

        Assert.Equal([Host("istiod", "istio-system"), Host("cart", "shop")], ProxyVisibility.VisibleHostnames("shop", root, services, [], [], s_defaults));
        Assert.Equal([Host("istiod", "istio-system"), Host("page", "web")], ProxyVisibility.VisibleHostnames("web", root, services, [], [], s_defaults));
    }

    [Fact]
    public void VisibleHostnames_MeshDefaultServiceExportTo_KeepsUnannotatedServicesHome()
    {
        // MeshConfig defaultServiceExportTo; push_context.go serviceExportTo: "the declared exportTo
        // (or the mesh default when unset)".
        var options = new MeshScopingOptions { DefaultServiceExportTo = ["."] };
        var services = new[] { Service("shop", "cart"), Service("billing", "ledger"), Service("billing", "public", exportTo: ["*"]) };

        var visible = ProxyVisibility.VisibleHostnames("shop", null, services, [], [], options);

        Assert.Equal([Host("public", "billing"), Host("cart", "shop")], visible);
    }

    // ---- VisibleVirtualServices ---------------------------------------------------------------

    [Fact]
    public void VisibleVirtualServices_ExportedToTheNamespace_AppliedToTheMesh_AndImportedByHost()
    {
        // push_context.go initVirtualServices indexes by exportTo and gateway ("mesh");
        // virtualservice.go SelectVirtualServices keeps those with a host the listener imports,
        // the import's namespace being the VirtualService's.
        var sidecar = Sidecar("shop", "default", egress: [Egress(null, "./*", "shared/*")]);
        var own = VirtualService("shop", "own", ["cart.example.com"]);
        var privateElsewhere = VirtualService("shared", "private", ["auth.example.com"], exportTo: ["."]);
        var shared = VirtualService("shared", "auth", ["auth.example.com"]);
        var notImported = VirtualService("billing", "ledger", ["ledger.example.com"]);
        var gatewayOnly = VirtualService("shop", "edge", ["edge.example.com"], gateways: ["istio-system/ingress"]);

        var visible = ProxyVisibility.VisibleVirtualServices("shop", sidecar, [notImported, shared, gatewayOnly, privateElsewhere, own], s_defaults);

        Assert.Equal(["shared/auth", "shop/own"], visible.Select(v => $"{v.Namespace}/{v.Name}"));
    }

    [Fact]
    public void VisibleVirtualServices_InIstiosOrder_KeptToTheNamespace_ThenExportedByName_ThenPublic()
    {
        // virtualservice.go SelectVirtualServices: loopAndAdd(privateByNamespaceAndGateway), then
        // exportedToNamespaceByGateway, then publicByGateway.
        var publicOwn = VirtualService("shop", "a-public", ["a.example.com"]);
        var exportedByName = VirtualService("billing", "b-named", ["b.example.com"], exportTo: ["shop"]);
        var kept = VirtualService("shop", "c-kept", ["c.example.com"], exportTo: ["."]);

        var visible = ProxyVisibility.VisibleVirtualServices("shop", null, [publicOwn, exportedByName, kept], s_defaults);

        Assert.Equal(["c-kept", "b-named", "a-public"], visible.Select(v => v.Name));
    }

    [Fact]
    public void VisibleVirtualServices_MeshDefaultExportTo_AndExclusions()
    {
        // MeshConfig defaultVirtualServiceExportTo; SelectVirtualServices: "Skip a matched host
        // excluded by a ~-prefixed entry; another host may still select the VS".
        var options = new MeshScopingOptions { DefaultVirtualServiceExportTo = ["."] };
        var elsewhere = VirtualService("billing", "ledger", ["ledger.example.com"]);
        var own = VirtualService("shop", "mixed", ["secret.example.com", "open.example.com"]);
        var onlySecret = VirtualService("shop", "secret", ["secret.example.com"]);
        var sidecar = Sidecar("shop", "default", egress: [Egress(null, "*/*", "~/secret.example.com")]);

        var visible = ProxyVisibility.VisibleVirtualServices("shop", sidecar, [elsewhere, own, onlySecret], options);

        Assert.Equal(["mixed"], visible.Select(v => v.Name));
    }

    // ---- DestinationRuleFor -------------------------------------------------------------------

    [Fact]
    public void DestinationRuleFor_ProxyNamespace_ThenServiceNamespace_ThenRoot()
    {
        // push_context.go destinationRule: "1. select destination rule from proxy config namespace",
        // "3. ... check the target service's namespace for exported rules", "4. ... search for any
        // exported destination rule in the config root namespace".
        var host = Host("ledger", "billing");
        var inProxy = Rule("shop", "client-side", host);
        var inService = Rule("billing", "owner", host);
        var inRoot = Rule("istio-system", "mesh", "*.svc.cluster.local");

        Assert.Equal(["client-side"], Names(ProxyVisibility.DestinationRuleFor(host, "shop", null, [inRoot, inService, inProxy], s_defaults)));
        Assert.Equal(["owner"], Names(ProxyVisibility.DestinationRuleFor(host, "web", null, [inRoot, inService, inProxy], s_defaults)));
        Assert.Equal(["mesh"], Names(ProxyVisibility.DestinationRuleFor(host, "web", null, [inRoot, inProxy], s_defaults)));
        Assert.Empty(ProxyVisibility.DestinationRuleFor(host, "web", null, [inProxy], s_defaults));
    }

    [Fact]
    public void DestinationRuleFor_HonoursExportTo_AndMovesOnWhenTheMostSpecificIsNotExported()
    {
        // getExportedDestinationRuleFromNamespace: the most specific host match, then "Check if the
        // dest rule for this host is actually exported to the proxy's (client) namespace"; a rule
        // exported to "." alone is isPrivateOnly and never exported.
        var host = Host("ledger", "billing");
        var privateExact = Rule("billing", "private", host, exportTo: ["."]);
        var publicWildcard = Rule("billing", "wide", "*.billing.svc.cluster.local");
        var toShop = Rule("billing", "to-shop", host, exportTo: ["shop"]);
        var inRoot = Rule("istio-system", "mesh", "*");

        Assert.Equal(["private"], Names(ProxyVisibility.DestinationRuleFor(host, "billing", null, [privateExact, publicWildcard, inRoot], s_defaults)));
        Assert.Equal(["wide"], Names(ProxyVisibility.DestinationRuleFor(host, "web", null, [privateExact, publicWildcard, inRoot], s_defaults)));
        Assert.Equal(["to-shop"], Names(ProxyVisibility.DestinationRuleFor(host, "shop", null, [toShop, publicWildcard, inRoot], s_defaults)));
        Assert.Equal(["mesh"], Names(ProxyVisibility.DestinationRuleFor(host, "web", null, [toShop, publicWildcard, inRoot], s_defaults)));
    }

    [Fact]
    public void DestinationRuleFor_SameHostInOneNamespace_MergesOldestFirst_ExactBeforeWildcard()
    {
        // push_context.go MostSpecificHostMatch and mergeDestinationRule ("Sort by time first. So if
        // two destination rule have top level traffic policies we take the first one").
        var host = Host("ledger", "billing");
        var newer = Rule("billing", "a-newer", host, created: At(2));
        var older = Rule("billing", "b-older", host, created: At(1));
        var wildcard = Rule("billing", "wide", "*.svc.cluster.local");

        Assert.Equal(["b-older", "a-newer"], Names(ProxyVisibility.DestinationRuleFor(host, "web", "billing", [wildcard, newer, older], s_defaults)));
    }

    [Fact]
    public void DestinationRuleFor_MeshDefaultDot_KeepsRulesWithoutExportToHome()
    {
        // setDestinationRules: "No exportTo in destinationRule. Use the global default. We only honor . and *".
        var host = Host("ledger", "billing");
        var rule = Rule("billing", "owner", host);
        var privateDefault = new MeshScopingOptions { DefaultDestinationRuleExportTo = ["."] };
        var namedDefault = new MeshScopingOptions { DefaultDestinationRuleExportTo = ["other"] };

        Assert.Empty(ProxyVisibility.DestinationRuleFor(host, "web", null, [rule], privateDefault));
        Assert.Equal(["owner"], Names(ProxyVisibility.DestinationRuleFor(host, "billing", null, [rule], privateDefault)));
        Assert.Equal(["owner"], Names(ProxyVisibility.DestinationRuleFor(host, "web", null, [rule], namedDefault)));
    }

    [Fact]
    public void DestinationRuleFor_WorkloadSelectedRule_OnlyForTheWorkloadsItSelects()
    {
        // sidecar.go SidecarScope.DestinationRule: "filter DestinationRule based on workloadSelector
        // for outbound configs"; "If there is no workload specific destinationRule, return the wild
        // carded dr if present". setDestinationRules: selector rules are not exported.
        var host = Host("ledger", "billing");
        var forCanary = Rule("shop", "canary", host, selector: new() { ["track"] = "canary" });
        var forAll = Rule("shop", "all", host);

        Assert.Equal(["canary"], Names(ProxyVisibility.DestinationRuleFor(host, "shop", null, [forAll, forCanary], s_defaults, new Dictionary<string, string> { ["track"] = "canary" })));
        Assert.Equal(["all"], Names(ProxyVisibility.DestinationRuleFor(host, "shop", null, [forAll, forCanary], s_defaults, new Dictionary<string, string> { ["track"] = "stable" })));
        Assert.Empty(ProxyVisibility.DestinationRuleFor(host, "web", null, [forCanary], s_defaults, new Dictionary<string, string> { ["track"] = "canary" }));
    }

    [Fact]
    public void DestinationRuleFor_ProxyInTheRootNamespace_TakesRootRulesKeptToIt_BeforeTheServicesNamespace()
    {
        // destinationRule: for a proxy in the root namespace step 1 reads rootNamespaceLocal (its
        // private rules) only, so the service's namespace comes before the root's exported rules.
        var host = Host("ledger", "billing");
        var rootPrivate = Rule("istio-system", "root-private", host, exportTo: ["."]);
        var rootPublic = Rule("istio-system", "root-public", host);
        var owner = Rule("billing", "owner", host);

        Assert.Equal(["root-private"], Names(ProxyVisibility.DestinationRuleFor(host, "istio-system", null, [owner, rootPrivate], s_defaults)));
        Assert.Equal(["owner"], Names(ProxyVisibility.DestinationRuleFor(host, "istio-system", null, [owner, rootPublic], s_defaults)));
    }

    // ---- Sees ---------------------------------------------------------------------------------

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Sees_FromEachHostnamesVisibility_DecidesAsVisibleHostnamesDoesFromTheWholeMesh(int seed)
    {
        // Sees is what a scope decides per hostname as resources arrive; VisibleHostnames is the
        // whole-mesh reading of Istio's rules (tested above). They must agree on any mesh.
        var random = new Random(seed);
        string[] namespaces = ["shop", "bank", "tools", "istio-system"];
        List<string>?[] exports = [null, null, ["."], ["*"], ["bank"], ["~"], [".", "tools"]];
        string[] egressHosts = ["*/*", "./*", "bank/*", "~shop/web.shop.svc.cluster.local", "*/audit.bank.svc.cluster.local", "istio-system/*", "shop/*.shop.svc.cluster.local", "tools/~"];
        var services = new List<MeshService>();
        foreach (var ns in namespaces)
        {
            foreach (var name in new[] { "web", "cart", "audit" }.Where(_ => random.Next(3) > 0))
            {
                services.Add(Service(ns, name, exports[random.Next(exports.Length)], random.Next(2) == 0 ? [8080] : [8080, 9090]));
            }
        }

        var hostnames = services.Select(s => s.Hostname).ToList();
        var virtualServices = Enumerable.Range(0, 6).Select(i => VirtualService(
            namespaces[random.Next(namespaces.Length)],
            $"vs{i}",
            [random.Next(3) == 0 ? "*.shop.svc.cluster.local" : $"front{i}.example.com"],
            hostnames.Count == 0 ? "none.example.com" : hostnames[random.Next(hostnames.Count)],
            exports[random.Next(exports.Length)],
            random.Next(4) == 0 ? ["some-gateway"] : null)).ToList();
        var sidecars = new List<SidecarSpec?> { null };
        for (var i = 0; i < 6; i++)
        {
            var listeners = Enumerable.Range(0, 1 + random.Next(2))
                .Select(_ => Egress(random.Next(3) == 0 ? new SidecarPortSpec(9090, "HTTP", "http") : null, [.. Enumerable.Range(0, 1 + random.Next(3)).Select(_ => egressHosts[random.Next(egressHosts.Length)])]))
                .ToList();
            sidecars.Add(Sidecar(namespaces[random.Next(namespaces.Length)], $"sc{i}", egress: listeners));
        }

        var options = new MeshScopingOptions { DefaultServiceExportTo = random.Next(3) == 0 ? ["."] : null };
        foreach (var proxyNamespace in namespaces)
        {
            foreach (var sidecar in sidecars)
            {
                var expected = ProxyVisibility.VisibleHostnames(proxyNamespace, sidecar, services, [], virtualServices, options);
                var seen = services
                    .Where(s => ProxyVisibility.Sees(proxyNamespace, sidecar, s.Hostname, VisibilityOf(s, virtualServices), options))
                    .Select(s => s.Hostname)
                    .ToHashSet(StringComparer.Ordinal);
                Assert.True(expected.SetEquals(seen), $"seed {seed}, {proxyNamespace} under {sidecar?.Name ?? "no Sidecar"}: expected [{string.Join(", ", expected)}], saw [{string.Join(", ", seen.Order(StringComparer.Ordinal))}]");
            }
        }
    }

    [Fact]
    public void Sees_NothingWithoutADeclaringObject_NorWhatIsExportedElsewhere()
    {
        var visibility = new ServiceVisibility("bank", ["."], [9000], []);

        Assert.False(ProxyVisibility.Sees("shop", null, Host("ledger", "bank"), null, s_defaults));
        Assert.False(ProxyVisibility.Sees("shop", null, Host("ledger", "bank"), visibility, s_defaults));
        Assert.True(ProxyVisibility.Sees("bank", null, Host("ledger", "bank"), visibility, s_defaults));
        Assert.False(ProxyVisibility.Sees("bank", Sidecar("bank", "narrow", egress: [Egress(null, "./other.bank.svc.cluster.local")]), Host("ledger", "bank"), visibility, s_defaults));
    }

    [Fact]
    public void Sees_AHostnameOnlyRoutesName_ThroughAVirtualServiceThatRoutesToIt_OnTheRoutedPorts()
    {
        var undeclared = new ServiceVisibility(string.Empty, null, [9080], [new VirtualServiceImport("shop", "reviews", null, ["reviews.shop.svc.cluster.local"])], Declared: false);
        var narrow = Sidecar("bank", "narrow", egress: [Egress(null, "./*")]);

        Assert.True(ProxyVisibility.Sees("shop", null, Host("reviews-v9", "shop"), undeclared, s_defaults));
        Assert.False(ProxyVisibility.Sees("bank", narrow, Host("reviews-v9", "shop"), undeclared, s_defaults));
        Assert.False(ProxyVisibility.Sees("shop", null, Host("reviews-v9", "shop"), undeclared with { Importers = [] }, s_defaults));
        Assert.False(ProxyVisibility.Sees("shop", Sidecar("shop", "port", egress: [Egress(new SidecarPortSpec(8080, "HTTP", "http"), "*/*")]), Host("reviews-v9", "shop"), undeclared, s_defaults));
    }

    private static ServiceVisibility VisibilityOf(MeshService service, IEnumerable<VirtualServiceSpec> virtualServices) => new(
        service.Namespace,
        service.ExportTo,
        service.Ports.Select(p => p.Port).ToList(),
        virtualServices
            .Where(v => v.AppliesToMesh && !v.IsDelegate && RouteDestinations.Hosts(v).Contains(service.Hostname, StringComparer.Ordinal))
            .Select(v => new VirtualServiceImport(v.Namespace, v.Name, v.ExportTo, v.Hosts))
            .ToList());

    // ---- ScopeDescription ---------------------------------------------------------------------

    [Fact]
    public void ScopeDescription_SameNamespaceAndSidecar_IsTheSame_WhateverTheLabels()
    {
        // The visibility above depends only on the proxy's namespace and the Sidecar chosen
        // (getSidecarScope caches one SidecarScope per Sidecar and namespace, shared by its proxies).
        var wide = Sidecar("shop", "default");
        var root = Sidecar("istio-system", "default");
        var first = ProxyVisibility.SelectSidecar("shop", new Dictionary<string, string> { ["app"] = "a" }, [wide, root], "istio-system");
        var second = ProxyVisibility.SelectSidecar("shop", new Dictionary<string, string> { ["app"] = "b" }, [wide, root], "istio-system");
        var web = ProxyVisibility.SelectSidecar("web", s_noLabels, [wide, root], "istio-system");

        Assert.Equal(ProxyVisibility.ScopeDescription("shop", first), ProxyVisibility.ScopeDescription("shop", second));
        Assert.Equal("ns/shop/sidecar/shop/default", ProxyVisibility.ScopeDescription("shop", first));
        Assert.Equal("ns/web/sidecar/istio-system/default", ProxyVisibility.ScopeDescription("web", web));
        Assert.NotEqual(ProxyVisibility.ScopeDescription("shop", root), ProxyVisibility.ScopeDescription("web", root));
        Assert.Equal("ns/shop/default", ProxyVisibility.ScopeDescription("shop", null));
        Assert.NotEqual(ProxyVisibility.ScopeDescription("shop", null), ProxyVisibility.ScopeDescription("shop", Sidecar("shop", "ns")));
    }

    // ---- builders -----------------------------------------------------------------------------

    private static DateTimeOffset At(int minute) => new(2025, 1, 1, 0, minute, 0, TimeSpan.Zero);

    private static string Host(string name, string ns) => $"{name}.{ns}.svc.cluster.local";

    private static List<string> Names(IEnumerable<DestinationRuleSpec> rules) => rules.Select(r => r.Name).ToList();

    private static SidecarSpec Sidecar(string ns, string name, Dictionary<string, string>? selector = null, DateTimeOffset? created = null, List<SidecarEgressSpec>? egress = null) =>
        new(ns, name, selector, egress ?? [], [], null, null, created);

    private static SidecarEgressSpec Egress(SidecarPortSpec? port, params string[] hosts) => new(port, null, null, hosts);

    private static MeshService Service(string ns, string name, params int[] ports) => Service(ns, name, exportTo: null, ports);

    private static MeshService Service(string ns, string name, List<string>? exportTo, params int[] ports) =>
        new(ns, name, (ports.Length == 0 ? [80] : ports).Select(p => new ServicePort($"p{p}", p, null, "TCP", null)).ToList(), null, exportTo);

    private static ServiceEntrySpec Entry(string ns, List<string> hosts, List<string>? exportTo = null) =>
        new(ns, "se-" + hosts[0].Split('.')[0], hosts, [], [new ServiceEntryPort(443, "https", "TLS", null)], "MESH_EXTERNAL", "DNS", [], null, exportTo ?? [], []);

    private static VirtualServiceSpec VirtualService(string ns, string name, List<string> hosts, string? destination = null, List<string>? exportTo = null, List<string>? gateways = null) =>
        new(ns, name, hosts, [new HttpRouteSpec(null, [], [new RouteDestinationSpec(destination ?? hosts[0], null, 100)], null)], gateways, exportTo);

    private static DestinationRuleSpec Rule(string ns, string name, string host, List<string>? exportTo = null, Dictionary<string, string>? selector = null, DateTimeOffset? created = null) =>
        new(ns, name, host, [], null, exportTo ?? [], selector, created);
}
