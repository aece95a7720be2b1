using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Security;

namespace Mesh.Orleans.Tests.Grains.Security;

/// <summary>
/// Composition of PeerAuthentications as Istio's <c>ComposePeerAuthentication</c>
/// (pilot/pkg/security/authn/policy_applier.go) and its tests write it: PERMISSIVE by default,
/// mesh then namespace then workload, UNSET inheriting, the oldest of a scope winning, selecting
/// policies in the root namespace ignored, port-level modes on workload ports.
/// </summary>
public sealed class PeerAuthenticationsTests
{
    private const string Root = "istio-system";
    private static readonly Dictionary<string, string> s_app = new() { ["app"] = "finance" };
    private static readonly DateTimeOffset s_t0 = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void NoPolicy_IsPermissive()
    {
        Assert.Equal(MtlsMode.Permissive, PeerAuthentications.Compose([], "foo", s_app, Root).Mode);
    }

    [Fact]
    public void MeshThenNamespaceThenWorkload_EachOverridingTheOneAbove_UnsetInheriting()
    {
        var mesh = Policy(Root, "default", MtlsMode.Strict);
        var space = Policy("foo", "default", MtlsMode.Disable);
        var workload = Policy("foo", "finance", MtlsMode.Unset, s_app);

        Assert.Equal(MtlsMode.Strict, PeerAuthentications.Compose([mesh], "foo", s_app, Root).Mode);
        Assert.Equal(MtlsMode.Disable, PeerAuthentications.Compose([mesh, space], "foo", s_app, Root).Mode);
        Assert.Equal(MtlsMode.Disable, PeerAuthentications.Compose([mesh, space, workload], "foo", s_app, Root).Mode);
        Assert.Equal(MtlsMode.Strict, PeerAuthentications.Compose([mesh, Policy("foo", "default", MtlsMode.Unset)], "foo", s_app, Root).Mode);
        Assert.Equal(MtlsMode.Permissive, PeerAuthentications.Compose([mesh, space, workload with { Mode = MtlsMode.Permissive }], "foo", s_app, Root).Mode);

        // Another namespace's policies and a selector the labels do not include do not apply.
        Assert.Equal(MtlsMode.Strict, PeerAuthentications.Compose([mesh, Policy("bar", "default", MtlsMode.Disable), Policy("foo", "x", MtlsMode.Disable, new() { ["app"] = "other" })], "foo", s_app, Root).Mode);
    }

    [Fact]
    public void ASelectingPolicyInTheRootNamespace_IsIgnored_AndTheOldestOfAScopeWins()
    {
        Assert.Equal(MtlsMode.Permissive, PeerAuthentications.Compose([Policy(Root, "selecting", MtlsMode.Strict, s_app)], Root, s_app, Root).Mode);

        var older = Policy("foo", "b-older", MtlsMode.Strict) with { CreationTimestamp = s_t0 };
        var newer = Policy("foo", "a-newer", MtlsMode.Disable) with { CreationTimestamp = s_t0.AddDays(1) };
        Assert.Equal(MtlsMode.Strict, PeerAuthentications.Compose([newer, older], "foo", s_app, Root).Mode);

        // Created together: by name.
        Assert.Equal(MtlsMode.Disable, PeerAuthentications.Compose([older with { CreationTimestamp = null }, newer with { CreationTimestamp = null }], "foo", s_app, Root).Mode);
    }

    [Fact]
    public void PortLevelModes_ApplyToTheirWorkloadPorts_UnsetTakingTheWorkloadsMode()
    {
        var workload = Policy("foo", "finance", MtlsMode.Strict, s_app) with
        {
            PortLevelMtls = new Dictionary<int, MtlsMode> { [8080] = MtlsMode.Disable, [9090] = MtlsMode.Unset },
        };

        var mtls = PeerAuthentications.Compose([Policy(Root, "default", MtlsMode.Permissive), workload], "foo", s_app, Root);

        Assert.Equal(MtlsMode.Disable, mtls.ModeFor(8080));
        Assert.Equal(MtlsMode.Strict, mtls.ModeFor(9090));
        Assert.Equal(MtlsMode.Strict, mtls.ModeFor(7000));
    }

    [Theory]
    [InlineData(MtlsMode.Strict, false, MtlsMode.Strict)]
    [InlineData(MtlsMode.Strict, true, MtlsMode.Strict)]
    [InlineData(MtlsMode.Permissive, true, MtlsMode.Permissive)]
    [InlineData(MtlsMode.Permissive, false, MtlsMode.Disable)]
    [InlineData(MtlsMode.Disable, true, MtlsMode.Disable)]
    public void WhatASidecarServes_StrictAlways_PermissiveOnlyForAPodInTheMesh(MtlsMode mode, bool labelled, MtlsMode served)
    {
        var labels = labelled ? new Dictionary<string, string> { [PeerAuthentications.TlsModeLabel] = "istio" } : new Dictionary<string, string>();

        Assert.Equal(served, PeerAuthentications.Served(mode, labels));
    }

    private static PeerAuthenticationSpec Policy(string ns, string name, MtlsMode mode, Dictionary<string, string>? selector = null) =>
        new(ns, name, selector, mode, new Dictionary<int, MtlsMode>());
}
