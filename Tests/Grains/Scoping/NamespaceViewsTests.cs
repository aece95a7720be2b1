using Mesh.Orleans.Grains;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Scoping;

namespace Mesh.Orleans.Tests.Grains.Scoping;

/// <summary>
/// Which VirtualService and DestinationRules proxies of each namespace take for one hostname, as
/// Istio looks them up per proxy (<c>push_context.go</c> <c>destinationRule</c>; the order of
/// <c>SelectVirtualServices</c> and the duplicate-domain rule of <c>httproute.go</c>), and that
/// namespaces are grouped so that a hostname is translated once per distinct view.
/// </summary>
public sealed class NamespaceViewsTests
{
    private const string Host = "reviews.shop.svc.cluster.local";
    private static readonly MeshScopingOptions s_defaults = new();

    [Fact]
    public void NoVirtualServiceOrRule_NeedsNoView()
    {
        Assert.Null(NamespaceViews.For(Host, "shop", [], [], [], s_defaults));
    }

    [Fact]
    public void ARuleOfTheServicesNamespaceExportedEverywhere_IsWhatEveryNamespaceTakes_SoNoView()
    {
        var rule = Rule("shop", "reviews");
        Assert.Null(NamespaceViews.For(Host, "shop", [], [rule], [rule], s_defaults));
    }

    [Fact]
    public void ARuleOfAThirdNamespace_AppliesThereOnly()
    {
        // Istio: a proxy in web finds web's rule first; elsewhere neither the service's nor the root
        // namespace has one, so none applies (the whole mesh is served web's, the only rule).
        var rule = Rule("web", "reviews-from-web");
        var views = NamespaceViews.For(Host, "shop", [], [rule], [rule], s_defaults)!;

        var web = Assert.Single(views, v => v.Namespaces is not null);
        Assert.Equal(["web"], web.Namespaces!);
        Assert.True(web.AsMesh);
        var others = Assert.Single(views, v => v.Namespaces is null);
        Assert.Empty(others.Rules);
        Assert.False(others.AsMesh);
    }

    [Fact]
    public void ARuleKeptToTheServicesNamespace_LeavesTheOthersToTheRootNamespacesRule()
    {
        var owner = Rule("shop", "private", exportTo: ["."]);
        var root = Rule("istio-system", "mesh-default", host: "*.svc.cluster.local");
        var views = NamespaceViews.For(Host, "shop", [], [owner], [root, owner], s_defaults)!;

        Assert.Equal(["private"], Assert.Single(views, v => v.Namespaces is ["shop"]).Rules.Select(r => r.Name));
        Assert.Equal(["mesh-default"], Assert.Single(views, v => v.Namespaces is null).Rules.Select(r => r.Name));

        // The root namespace's own proxies look in the service's namespace before their own public
        // rules (Istio's "hack" for gateways in istio-system), and end with the same rule as the others.
        Assert.Equal(["mesh-default"], ProxyVisibility.DestinationRuleFor(Host, "istio-system", "shop", [root, owner], s_defaults).Select(r => r.Name));
        Assert.DoesNotContain(views, v => v.Namespaces is not null && v.Namespaces.Contains("istio-system"));
    }

    [Fact]
    public void ARuleExportedByName_ReachesThatNamespaceOnly()
    {
        var toWeb = Rule("shop", "for-web", exportTo: ["web"]);
        var views = NamespaceViews.For(Host, "shop", [], [toWeb], [toWeb], s_defaults)!;

        // shop's own proxies look in shop first: a rule exported only to web is not exported to shop.
        Assert.Equal(["for-web"], Assert.Single(views, v => v.Namespaces is not null && v.Namespaces.Contains("web")).Rules.Select(r => r.Name));
        Assert.Empty(Assert.Single(views, v => v.Namespaces is null).Rules);
        Assert.DoesNotContain(views, v => v.Namespaces is not null && v.Namespaces.Contains("shop") && v.Rules.Count > 0);
    }

    [Fact]
    public void AVirtualServiceKeptToItsNamespace_RoutesThereOnly()
    {
        var slow = VirtualService("web", "slow", exportTo: ["."]);
        var views = NamespaceViews.For(Host, "shop", [slow], [], [], s_defaults)!;

        var web = Assert.Single(views, v => v.Namespaces is ["web"]);
        Assert.Equal(["slow"], web.VirtualServices.Select(v => v.Name));
        Assert.True(web.AsMesh);
        Assert.Empty(Assert.Single(views, v => v.Namespaces is null).VirtualServices);
    }

    [Fact]
    public void OfTwoVirtualServicesForOneHost_EachNamespaceTakesTheFirstInIstiosOrder()
    {
        // Public ones in namespace then name order; a namespace's own private one before them all.
        var shopRoutes = VirtualService("shop", "reviews");
        var webOverride = VirtualService("web", "reviews-canary", exportTo: ["."]);
        var aPublic = VirtualService("alpha", "reviews-alpha");

        Assert.Equal(["reviews-canary"], ProxyVisibility.VirtualServicesFor(Host, "web", [shopRoutes, webOverride, aPublic], s_defaults).Select(v => v.Name));
        Assert.Equal(["reviews-alpha"], ProxyVisibility.VirtualServicesFor(Host, "shop", [shopRoutes, webOverride, aPublic], s_defaults).Select(v => v.Name));
        Assert.Equal(["reviews-alpha"], ProxyVisibility.VirtualServicesFor(Host, "tools", [shopRoutes, webOverride, aPublic], s_defaults).Select(v => v.Name));

        // The whole mesh concatenates all three; every namespace takes one: web its own, the rest alpha's.
        var views = NamespaceViews.For(Host, "shop", [shopRoutes, webOverride, aPublic], [], [], s_defaults)!;
        Assert.Equal(2, views.Count);
        Assert.All(views, v => Assert.False(v.AsMesh));
        Assert.Equal(["reviews-alpha"], Assert.Single(views, v => v.Namespaces is null).VirtualServices.Select(v => v.Name));
    }

    [Fact]
    public void AVirtualServiceExportedToNoOne_RoutesNowhere()
    {
        var hidden = VirtualService("shop", "hidden", exportTo: ["~"]);
        Assert.Empty(ProxyVisibility.VirtualServicesFor(Host, "shop", [hidden], s_defaults));
        var views = NamespaceViews.For(Host, "shop", [hidden], [], [], s_defaults)!;
        Assert.Empty(Assert.Single(views).VirtualServices);
    }

    [Fact]
    public void TheWinnersDelegates_ComeWithIt()
    {
        var root = new VirtualServiceSpec("shop", "root", [Host], [new HttpRouteSpec(null, [], [], null, Delegate: new DelegateSpec("part", "shop"))], null, null);
        var part = new VirtualServiceSpec("shop", "part", [], [new HttpRouteSpec(null, [], [new RouteDestinationSpec(Host, null, 100)], null)], null, null);
        Assert.Equal(["root", "part"], ProxyVisibility.VirtualServicesFor(Host, "web", [root, part], s_defaults).Select(v => v.Name));
    }

    [Fact]
    public void TheMeshDefaultExportTo_IsHonouredForVirtualServices()
    {
        var options = new MeshScopingOptions { DefaultVirtualServiceExportTo = ["."] };
        var routes = VirtualService("shop", "reviews");
        var views = NamespaceViews.For(Host, "shop", [routes], [], [], options)!;
        Assert.True(Assert.Single(views, v => v.Namespaces is ["shop"]).AsMesh);
        Assert.Empty(Assert.Single(views, v => v.Namespaces is null).VirtualServices);
    }

    [Fact]
    public void AMatchOnASourceNamespace_HoldsForThatNamespacesView_AndIsLeftOutElsewhere()
    {
        var fromTools = new HttpMatchSpec(null, [], null, SourceNamespace: "tools");
        var routes = new VirtualServiceSpec("shop", "reviews", [Host], [new HttpRouteSpec(null, [fromTools], [new RouteDestinationSpec(Host, null, 100, "v2")], null)], null, null);
        var views = NamespaceViews.For(Host, "shop", [routes], [], [], s_defaults)!;

        var tools = Assert.Single(views, v => v.Namespaces is ["tools"]);
        Assert.False(tools.AsMesh);
        Assert.Null(Assert.Single(Assert.Single(tools.VirtualServices).Http).Match[0].SourceNamespace);

        // Every other namespace keeps the condition, which the translator leaves out as for the mesh.
        Assert.True(Assert.Single(views, v => v.Namespaces is null).AsMesh);
        Assert.Same(routes, NamespaceViews.FromSource(routes, "web"));
    }

    private static VirtualServiceSpec VirtualService(string ns, string name, List<string>? exportTo = null) =>
        new(ns, name, [Host], [new HttpRouteSpec(null, [], [new RouteDestinationSpec(Host, null, 100)], null)], null, exportTo);

    private static DestinationRuleSpec Rule(string ns, string name, string host = Host, List<string>? exportTo = null) =>
        new(ns, name, host, [], null, exportTo ?? [], null, null);
}
