using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Registry;
using Mesh.Orleans.Grains.Scoping;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Grains;

/// <summary>
/// What one sidecar scope (<see cref="ScopeNames.SidecarScope"/>) serves: the resources of the
/// hostnames its proxies may see (<see cref="ProxyVisibility.Sees"/>, from the namespace and the
/// Sidecar that applies), put together by a sidecar <see cref="ScopeComposer"/> under the
/// Sidecar's outbound traffic policy (else the mesh's). It holds only what it shows: whether a
/// hostname is visible depends on that hostname's own <see cref="ServiceVisibility"/> and the
/// Sidecar, so a hostname becomes visible only through a change of its own (which arrives with
/// its resources) or of the Sidecar (after which the scope is rebuilt from the whole mesh,
/// <see cref="Reset"/>). When EnvoyFilters patch its proxies, what it publishes is the composed
/// resources patched (their outbound side; the inbound side is patched in each workload's scope),
/// worked out again on each change.
/// </summary>
internal sealed class SidecarScopeView
{
    private readonly string _namespace;
    private readonly string _composerKind;
    private readonly bool _meshRegistryOnly;
    private readonly MeshScopingOptions _options;
    private Dictionary<string, ServiceResources> _shown = new(StringComparer.Ordinal);

    // While the scope loads: the revision of every hostname a batch brought, so that an older
    // revision from the whole-mesh scope, read while a newer one arrived, cannot bring one back.
    // (Only batches: they carry what the scope may see, a few hostnames, not the whole mesh.)
    private Dictionary<string, long>? _revisions = new(StringComparer.Ordinal);

    // With EnvoyFilters: what is published (the composed resources, patched) and the problems of the last patching.
    private Dictionary<ResourceKey, XdsResource>? _published;
    private IReadOnlyList<EnvoyFilterProblem> _problems = [];
    private bool _problemsChanged;

    /// <summary>
    /// Creates the view of a proxy namespace, with nothing shown and no Sidecar applied yet, for
    /// the proxies whose whole-mesh scope is <paramref name="composerKind"/>: sidecars
    /// (<see cref="ScopeNames.Sidecar"/>, the default), proxyless gRPC clients
    /// (<see cref="ScopeNames.Default"/>: resources as they are, no EnvoyFilter patches them) or
    /// gateways (<see cref="ScopeNames.Router"/>: their clusters and endpoints).
    /// </summary>
    public SidecarScopeView(string proxyNamespace, bool meshRegistryOnly, MeshScopingOptions options, string composerKind = ScopeNames.Sidecar)
    {
        ArgumentException.ThrowIfNullOrEmpty(proxyNamespace);
        ArgumentNullException.ThrowIfNull(options);
        if (!ScopeNames.IsWholeMesh(composerKind))
        {
            throw new ArgumentException($"not a whole-mesh scope: {composerKind}", nameof(composerKind));
        }

        _namespace = proxyNamespace;
        _composerKind = composerKind;
        _meshRegistryOnly = meshRegistryOnly;
        _options = options;
        Composer = ScopeComposer.For(_composerKind, meshRegistryOnly);
        Composer.TakeChanges();
    }

    /// <summary>The composer of what is served now.</summary>
    public ScopeComposer Composer { get; private set; }

    /// <summary>The proxies' namespace.</summary>
    public string Namespace => _namespace;

    /// <summary>The hostnames served now.</summary>
    public int ShownCount => _shown.Count;

    /// <summary>The Sidecar and EnvoyFilters that apply now.</summary>
    public SidecarChoice Choice { get; private set; } = new(null);

    /// <summary>The Sidecar that applies now (null: none).</summary>
    public SidecarSpec? Sidecar => Choice.Sidecar;

    /// <summary>The content hash of <see cref="Choice"/> (null before the first <see cref="Reset"/>).</summary>
    public string? ChoiceHash { get; private set; }

    /// <summary>Every resource served now.</summary>
    public IReadOnlyList<XdsResource> All => _published is null ? Composer.All : _published.Values.ToList();

    /// <summary>
    /// What changed since the last call (the composer's changes, patched when EnvoyFilters apply):
    /// call after <see cref="Apply"/>.
    /// </summary>
    public (List<XdsResource> Upserted, List<ResourceKey> Removed) TakeChanges()
    {
        var changes = Composer.TakeChanges();
        if (_published is null || (changes.Upserted.Count == 0 && changes.Removed.Count == 0))
        {
            return changes;
        }

        return Republish();
    }

    /// <summary>The problems of the EnvoyFilters' patches when they changed since the last call, else null.</summary>
    public IReadOnlyList<EnvoyFilterProblem>? TakeProblems()
    {
        if (!_problemsChanged)
        {
            return null;
        }

        _problemsChanged = false;
        return _problems;
    }

    /// <summary>Whether the scope serves <paramref name="hostname"/> now.</summary>
    public bool Shows(string hostname) => _shown.ContainsKey(hostname);

    /// <summary>
    /// Takes <paramref name="update"/> unless a newer revision of its hostname is held, and
    /// composes it when the proxies may see it (and takes it back when they no longer may).
    /// Returns whether the set of hostnames served changed. The caller takes the composer's changes.
    /// </summary>
    public bool Apply(ServiceResources update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var old = _shown.GetValueOrDefault(update.Hostname);
        var held = old?.Revision ?? (_revisions is not null && _revisions.TryGetValue(update.Hostname, out var seen) ? seen : (long?)null);
        if (held >= update.Revision)
        {
            return false;
        }

        if (_revisions is not null)
        {
            _revisions[update.Hostname] = update.Revision;
        }

        var nowShown = update.Resources.Count > 0 && ProxyVisibility.Sees(_namespace, Sidecar, update.Hostname, update.Visibility, _options);
        if (old is null && !nowShown)
        {
            return false;
        }

        Composer.Replace(update.Hostname, old?.ResourcesFor(_namespace), nowShown ? update.ResourcesFor(_namespace) : []);
        if (nowShown)
        {
            _shown[update.Hostname] = update;
        }
        else
        {
            _shown.Remove(update.Hostname);
        }

        return (old is not null) != nowShown;
    }

    /// <summary>
    /// Applies <paramref name="sidecar"/> (null: none) and composes again, from
    /// <paramref name="mesh"/> (every hostname's resources) and what is shown now, whichever
    /// revision is newer, what its proxies may see; returns the difference from what was served.
    /// </summary>
    public (List<XdsResource> Upserted, List<ResourceKey> Removed) Reset(SidecarChoice choice, IReadOnlyList<ServiceResources> mesh)
    {
        ArgumentNullException.ThrowIfNull(choice);
        ArgumentNullException.ThrowIfNull(mesh);
        var sidecar = choice.Sidecar;
        Composer.TakeChanges();
        var before = All.ToDictionary(r => r.Key);
        Choice = choice;
        ChoiceHash = InputHash.Of(choice);
        var candidates = new Dictionary<string, ServiceResources>(_shown, StringComparer.Ordinal);
        foreach (var resources in mesh)
        {
            // Shown at an older revision, or not shown and seen (while loading) at most at this one.
            var shown = candidates.TryGetValue(resources.Hostname, out var held) ? held.Revision : -1;
            var seen = _revisions is not null && _revisions.TryGetValue(resources.Hostname, out var revision) ? revision : -1;
            if (resources.Revision > shown && resources.Revision >= seen)
            {
                candidates[resources.Hostname] = resources;
            }
        }

        var registryOnly = sidecar?.OutboundTrafficPolicy is { } policy ? policy == "REGISTRY_ONLY" : _meshRegistryOnly;
        Composer = ScopeComposer.For(_composerKind, registryOnly);
        _shown = new Dictionary<string, ServiceResources>(StringComparer.Ordinal);
        foreach (var (hostname, resources) in candidates.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if (resources.Resources.Count > 0 && ProxyVisibility.Sees(_namespace, sidecar, hostname, resources.Visibility, _options))
            {
                Composer.Replace(hostname, null, resources.ResourcesFor(_namespace));
                _shown.Add(hostname, resources);
            }
        }

        Composer.TakeChanges();
        if (choice.EnvoyFilters is { Count: > 0 } && _composerKind is ScopeNames.Sidecar or ScopeNames.Router)
        {
            _published = before;
            return Republish();
        }

        if (_published is not null && _problems.Count > 0)
        {
            _problemsChanged = true;
        }

        _published = null;
        _problems = [];
        return ScopeFeed.Diff(before, Composer.All.ToDictionary(r => r.Key));
    }

    /// <summary>Patches what the composer holds and publishes the difference from what was published.</summary>
    private (List<XdsResource> Upserted, List<ResourceKey> Removed) Republish()
    {
        // A sidecar's outbound side, or a gateway's clusters (the rest of a gateway is patched in its GatewayGrain).
        var context = _composerKind == ScopeNames.Router
            ? PatchContext.Shared(Interfaces.Proxies.ProxyKind.Router, _options.RootNamespace, takes: PatchContext.GatewayClusters)
            : PatchContext.Shared(Interfaces.Proxies.ProxyKind.Sidecar, _options.RootNamespace, EnvoyFilterContext.SidecarOutbound);
        var (patched, problems) = ResourcePatcher.Patch(Composer.All, Choice.EnvoyFilters!, context);
        var after = patched.ToDictionary(r => r.Key);
        var diff = ScopeFeed.Diff(_published!, after);
        _published = after;
        if (!problems.SequenceEqual(_problems))
        {
            _problems = problems;
            _problemsChanged = true;
        }

        return diff;
    }

    /// <summary>Ends the loading: from now on only the hostnames shown are held.</summary>
    public void EndLoading() => _revisions = null;
}
