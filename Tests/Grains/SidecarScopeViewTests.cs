using Mesh.Orleans.Grains;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Tests.Grains;

/// <summary>
/// A sidecar scope composes, of every hostname's resources, what its proxies may see, keeps
/// revisions of hostnames that went so a late older revision cannot bring one back, and a Sidecar
/// that changes gives the difference from what was served.
/// </summary>
public sealed class SidecarScopeViewTests
{
    private static readonly MeshScopingOptions s_options = new();

    private static ServiceResources Hostname(string name, string ns, long revision, string version = "v1", IReadOnlyList<string>? exportTo = null) => new(
        $"{name}.{ns}.svc.cluster.local",
        revision,
        [new XdsResource(TypeUrls.Cluster, $"outbound|80||{name}.{ns}.svc.cluster.local", version, [1, 2, 3], ResourceAudience.Sidecar)],
        new ServiceVisibility(ns, exportTo, [80], []));

    private static SidecarSpec Narrow(string ns, string? policy = null) =>
        new(ns, "default", null, [new SidecarEgressSpec(null, null, null, ["./*"])], [], policy, null);

    private static List<string> Clusters(SidecarScopeView view) =>
        view.Composer.All.Where(r => r.TypeUrl == TypeUrls.Cluster && r.Name.StartsWith("outbound|", StringComparison.Ordinal)).Select(r => r.Name).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void Apply_ComposesOnlyWhatTheNamespaceMaySee()
    {
        var view = new SidecarScopeView("shop", meshRegistryOnly: false, s_options);

        Assert.True(view.Apply(Hostname("web", "shop", 1)));
        Assert.False(view.Apply(Hostname("ledger", "bank", 1, exportTo: ["."])));
        Assert.True(view.Apply(Hostname("audit", "bank", 1)));
        view.Composer.TakeChanges();

        Assert.Equal(["outbound|80||audit.bank.svc.cluster.local", "outbound|80||web.shop.svc.cluster.local"], Clusters(view));
        Assert.Equal(2, view.ShownCount);
    }

    [Fact]
    public void WhileLoading_ARevisionOlderThanOneSeen_EvenOfAHostnameThatWent_ChangesNothing()
    {
        var view = new SidecarScopeView("shop", meshRegistryOnly: false, s_options);
        view.Apply(Hostname("web", "shop", 1));
        view.Apply(new ServiceResources("web.shop.svc.cluster.local", 2, []));
        view.Composer.TakeChanges();

        // The whole mesh, read before the removal reached it, still has revision 1.
        Assert.False(view.Apply(Hostname("web", "shop", 1)));
        var (upserted, removed) = view.Reset(new SidecarChoice(null), [Hostname("web", "shop", 1)]);

        Assert.Empty(upserted);
        Assert.Empty(removed);
        Assert.False(view.Shows("web.shop.svc.cluster.local"));

        // Once loaded, a hostname not shown is not held: what shows it again is a newer revision.
        view.EndLoading();
        Assert.True(view.Apply(Hostname("web", "shop", 3)));
    }

    [Fact]
    public void Reset_AHostnameSeenButNotShown_IsShownWhenTheNewSidecarImportsIt()
    {
        var view = new SidecarScopeView("shop", meshRegistryOnly: false, s_options);
        view.Reset(new SidecarChoice(Narrow("shop")), []);
        Assert.False(view.Apply(Hostname("audit", "bank", 4)));

        view.Reset(new SidecarChoice(null), [Hostname("audit", "bank", 4)]);

        Assert.True(view.Shows("audit.bank.svc.cluster.local"));
    }

    [Fact]
    public void SetSidecar_GivesTheDifference_AndItsOutboundPolicyRebuildsWhatEverySidecarHas()
    {
        var view = new SidecarScopeView("shop", meshRegistryOnly: false, s_options);
        view.Apply(Hostname("web", "shop", 1));
        view.Apply(Hostname("audit", "bank", 1));
        view.Composer.TakeChanges();
        var mesh = new List<ServiceResources> { Hostname("web", "shop", 1), Hostname("audit", "bank", 1) };

        var (upserted, removed) = view.Reset(new SidecarChoice(Narrow("shop")), mesh);

        Assert.Empty(upserted);
        Assert.Equal(["outbound|80||audit.bank.svc.cluster.local"], removed.Select(k => k.Name));
        var same = view.Reset(new SidecarChoice(Narrow("shop")), mesh);
        Assert.Empty(same.Upserted);
        Assert.Empty(same.Removed);

        // REGISTRY_ONLY: the fixed virtualOutbound listener changes; the hostnames stay.
        (upserted, removed) = view.Reset(new SidecarChoice(Narrow("shop", "REGISTRY_ONLY")), mesh);
        Assert.Contains(upserted, r => r.Name == "virtualOutbound");
        Assert.Empty(removed);

        // Back to no Sidecar: audit returns, from the whole mesh.
        (upserted, _) = view.Reset(new SidecarChoice(null), mesh);
        Assert.Contains(upserted, r => r.Name == "outbound|80||audit.bank.svc.cluster.local");
        Assert.Equal(["outbound|80||audit.bank.svc.cluster.local", "outbound|80||web.shop.svc.cluster.local"], Clusters(view));
    }
}
