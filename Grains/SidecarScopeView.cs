using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Registry;
using Mesh.Orleans.Grains.Scoping;

namespace Mesh.Orleans.Grains;

/// <summary>
/// What one sidecar scope (<see cref="ScopeNames.SidecarScope"/>) serves: of every hostname's
/// resources, those its proxies may see (<see cref="ProxyVisibility.Sees"/>, from the namespace
/// and the Sidecar that applies), put together by a sidecar <see cref="ScopeComposer"/> under
/// the Sidecar's outbound traffic policy (else the mesh's). It holds a reference to every
/// hostname's resources, shared with the other scopes of the silo (they are immutable), so that
/// a Sidecar that widens finds what it now imports at once; it composes only what is visible.
/// </summary>
internal sealed class SidecarScopeView
{
    private readonly string _namespace;
    private readonly bool _meshRegistryOnly;
    private readonly MeshScopingOptions _options;

    // Every hostname's latest resources, including those that went (no resources), so that an
    // older revision arriving late through another caller cannot bring a hostname back.
    private readonly Dictionary<string, ServiceResources> _all = new(StringComparer.Ordinal);
    private readonly HashSet<string> _shown = new(StringComparer.Ordinal);
    private SidecarSpec? _sidecar;
    private string? _sidecarHash;

    /// <summary>Creates the view of a proxy namespace with no Sidecar applied yet.</summary>
    public SidecarScopeView(string proxyNamespace, bool meshRegistryOnly, MeshScopingOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(proxyNamespace);
        ArgumentNullException.ThrowIfNull(options);
        _namespace = proxyNamespace;
        _meshRegistryOnly = meshRegistryOnly;
        _options = options;
        Composer = ScopeComposer.For(ScopeNames.Sidecar, meshRegistryOnly);
        Composer.TakeChanges();
    }

    /// <summary>The composer of what is served now.</summary>
    public ScopeComposer Composer { get; private set; }

    /// <summary>The hostnames served now.</summary>
    public int ShownCount => _shown.Count;

    /// <summary>The Sidecar that applies now (null: none).</summary>
    public SidecarSpec? Sidecar => _sidecar;

    /// <summary>Whether the scope serves <paramref name="hostname"/> now.</summary>
    public bool Shows(string hostname) => _shown.Contains(hostname);

    /// <summary>
    /// Takes <paramref name="update"/> unless a newer revision of its hostname is held, and
    /// composes it when the proxies may see it (and takes it back when they no longer may).
    /// Returns whether the set of hostnames served changed. The caller takes the composer's changes.
    /// </summary>
    public bool Apply(ServiceResources update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var old = _all.GetValueOrDefault(update.Hostname);
        if (old is not null && old.Revision >= update.Revision)
        {
            return false;
        }

        _all[update.Hostname] = update;
        var wasShown = _shown.Contains(update.Hostname);
        var nowShown = update.Resources.Count > 0 && ProxyVisibility.Sees(_namespace, _sidecar, update.Hostname, update.Visibility, _options);
        if (wasShown || nowShown)
        {
            Composer.Replace(update.Hostname, wasShown ? old!.Resources : null, nowShown ? update.Resources : []);
        }

        if (nowShown == wasShown)
        {
            return false;
        }

        _ = nowShown ? _shown.Add(update.Hostname) : _shown.Remove(update.Hostname);
        return true;
    }

    /// <summary>
    /// Applies <paramref name="sidecar"/> (null: none): composes again what its proxies may see
    /// under it and returns the difference from what was served. Nothing changes when it is the
    /// Sidecar that applies already (same content).
    /// </summary>
    public (List<XdsResource> Upserted, List<ResourceKey> Removed) SetSidecar(SidecarSpec? sidecar)
    {
        var hash = InputHash.Of(sidecar);
        if (hash == _sidecarHash)
        {
            return ([], []);
        }

        _sidecarHash = hash;
        _sidecar = sidecar;
        Composer.TakeChanges();
        var before = Composer.All.ToDictionary(r => r.Key);
        var registryOnly = sidecar?.OutboundTrafficPolicy is { } policy ? policy == "REGISTRY_ONLY" : _meshRegistryOnly;
        Composer = ScopeComposer.For(ScopeNames.Sidecar, registryOnly);
        _shown.Clear();
        foreach (var (hostname, resources) in _all.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (resources.Resources.Count > 0 && ProxyVisibility.Sees(_namespace, sidecar, hostname, resources.Visibility, _options))
            {
                Composer.Replace(hostname, null, resources.Resources);
                _shown.Add(hostname);
            }
        }

        Composer.TakeChanges();
        return ScopeFeed.Diff(before, Composer.All.ToDictionary(r => r.Key));
    }
}
