using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Translation;

namespace Mesh.Orleans.Grains;

/// <summary>
/// Turns the per-hostname resources of a scope's ServiceGrains into what the scope's proxies are
/// sent (Istio's split between per-service pieces and what combines them, DESIGN seam 3). The
/// default scope (proxyless clients) takes each hostname's proxyless resources as they are. The
/// sidecar scope takes the clusters, endpoints and TCP listeners, and puts each port's virtual
/// host pieces together into the RouteConfiguration named by the port and its
/// <c>0.0.0.0_&lt;port&gt;</c> listener, rebuilding only the ports a change touched; it adds the
/// fixed resources every sidecar has. The gateway scope takes clusters and endpoints.
/// Envoy keeps one listener per name, so when the TCP listeners of two hostnames share a name
/// (two services with one cluster IP and port, or two headless services with one endpoint
/// address and port), the first hostname in ordinal order is served whichever came first, the
/// other is reported by <see cref="TakeConflicts"/>, and it takes over if the first goes. A TCP
/// listener named <c>0.0.0.0_&lt;port&gt;</c> (a ServiceEntry port without an address) gives way
/// to the port's HTTP listener while the port has virtual hosts, and is reported likewise.
/// </summary>
internal sealed class ScopeComposer
{
    private readonly ResourceAudience _audience;
    private readonly bool _registryOnly;
    private readonly Dictionary<ResourceKey, XdsResource> _current = [];

    // For each key touched since the last TakeChanges, the version published before (null: none).
    private readonly Dictionary<ResourceKey, string?> _touched = [];

    // Sidecar scope: the virtual host pieces of each port, by name, and the ports touched.
    private readonly Dictionary<int, SortedDictionary<string, XdsResource>> _virtualHosts = [];
    private readonly HashSet<int> _touchedPorts = [];

    // Sidecar scope: the hostnames whose listeners have each name, with their listener, and the
    // (listener, served, shadowed) names found shadowed since the last TakeConflicts.
    private readonly Dictionary<string, SortedDictionary<string, XdsResource>> _listenerClaims = new(StringComparer.Ordinal);
    private readonly List<ListenerConflict> _conflicts = [];

    // A part of the whole-mesh sidecar scope: its shards take the clusters and endpoints only
    // (null: every type), its listeners grain everything else and the fixed resources.
    private readonly bool? _clustersOnly;

    private ScopeComposer(ResourceAudience audience, bool registryOnly, bool? clustersOnly = null)
    {
        _audience = audience;
        _registryOnly = registryOnly;
        _clustersOnly = clustersOnly;
        if (audience == ResourceAudience.Sidecar && clustersOnly != true)
        {
            foreach (var resource in SidecarTranslator.Fixed(registryOnly))
            {
                Set(resource.Key, resource);
            }
        }
    }

    /// <summary>
    /// The composer of the scope named <paramref name="scope"/>, or of the part of a whole-mesh
    /// scope a grain key names (<see cref="ScopeNames.ParseShard"/>).
    /// </summary>
    public static ScopeComposer For(string scope, bool registryOnly)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var shard = ScopeNames.ParseShard(scope);
        var audience = (shard?.Scope ?? scope) switch
        {
            ScopeNames.Sidecar => ResourceAudience.Sidecar,
            ScopeNames.Router => ResourceAudience.Router,
            _ => ResourceAudience.Proxyless,
        };
        return new(audience, registryOnly, ClustersOnly(shard));
    }

    /// <summary>
    /// Whether the part of a whole-mesh scope <paramref name="key"/> names takes
    /// <paramref name="resource"/> (a sidecar shard its clusters and endpoints, the sidecar
    /// listeners grain the rest); true for any other key.
    /// </summary>
    public static bool Takes(string key, XdsResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return ClustersOnly(ScopeNames.ParseShard(key)) is not { } clusters || IsClusterType(resource.TypeUrl) == clusters;
    }

    /// <summary>
    /// For a part of the whole-mesh sidecar scope, whether it takes only clusters and endpoints
    /// (a shard) or only the rest (the listeners grain); null for any other grain, which takes every type.
    /// </summary>
    private static bool? ClustersOnly((string Scope, int? Shard)? part) =>
        part is { Scope: ScopeNames.Sidecar } sidecar ? sidecar.Shard is not null : null;

    /// <summary>
    /// What the grain <paramref name="key"/> keeps of <paramref name="services"/>: for the
    /// sidecar listeners grain only the resources it takes (so it never holds endpoints),
    /// without the per-namespace views (sidecar scopes read those from the shards); as it is
    /// for any other key.
    /// </summary>
    public static ServiceResources PartOf(string key, ServiceResources services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return key == ScopeNames.SidecarListeners
            ? services with { Resources = services.Resources.Where(r => Takes(key, r)).ToList(), Views = null }
            : services;
    }

    private static bool IsClusterType(string typeUrl) => typeUrl is TypeUrls.Cluster or TypeUrls.ClusterLoadAssignment;

    /// <summary>Every resource the scope's proxies are sent now.</summary>
    public IReadOnlyList<XdsResource> All => _current.Values.ToList();

    /// <summary>Replaces the resources of <paramref name="hostname"/> (<paramref name="before"/> by <paramref name="after"/>).</summary>
    public void Replace(string hostname, IReadOnlyList<XdsResource>? before, IReadOnlyList<XdsResource> after)
    {
        ArgumentNullException.ThrowIfNull(hostname);
        ArgumentNullException.ThrowIfNull(after);
        var kept = new HashSet<ResourceKey>();
        foreach (var resource in after.Where(IsForScope))
        {
            kept.Add(resource.Key);
            if (resource.TypeUrl == TypeUrls.VirtualHostPiece)
            {
                SetPiece(resource.Name, resource);
            }
            else if (IsClaimed(resource))
            {
                Claim(hostname, resource.Name, resource);
            }
            else if (!_current.TryGetValue(resource.Key, out var old) || old.Version != resource.Version)
            {
                Set(resource.Key, resource);
            }
        }

        foreach (var resource in (before ?? []).Where(r => IsForScope(r) && !kept.Contains(r.Key)))
        {
            if (resource.TypeUrl == TypeUrls.VirtualHostPiece)
            {
                SetPiece(resource.Name, null);
            }
            else if (IsClaimed(resource))
            {
                Claim(hostname, resource.Name, null);
            }
            else
            {
                Set(resource.Key, null);
            }
        }
    }

    /// <summary>
    /// What changed since the last call: the ports touched are put together again first, then
    /// every touched key is compared with the version published before.
    /// </summary>
    public (List<XdsResource> Upserted, List<ResourceKey> Removed) TakeChanges()
    {
        foreach (var port in _touchedPorts)
        {
            var routeKey = new ResourceKey(TypeUrls.RouteConfiguration, SidecarTranslator.RouteName(port));
            var listenerKey = new ResourceKey(TypeUrls.Listener, SidecarTranslator.HttpListenerName(port));
            var claimed = _listenerClaims.GetValueOrDefault(listenerKey.Name);
            if (!_virtualHosts.TryGetValue(port, out var pieces) || pieces.Count == 0)
            {
                _virtualHosts.Remove(port);
                Set(routeKey, null);

                // A hostname's own TCP listener of that name takes the name back.
                Set(listenerKey, claimed?.Values.First());
                continue;
            }

            Set(routeKey, SidecarTranslator.RouteConfiguration(port, pieces.Values, _registryOnly));
            if (!_current.TryGetValue(listenerKey, out var current) || claimed?.Values.Any(l => l.Version == current.Version) == true)
            {
                Set(listenerKey, SidecarTranslator.Pack(TypeUrls.Listener, listenerKey.Name, SidecarTranslator.HttpListener(port, _registryOnly)));
            }
        }

        _touchedPorts.Clear();
        var upserted = new List<XdsResource>();
        var removed = new List<ResourceKey>();
        foreach (var (key, before) in _touched)
        {
            if (_current.TryGetValue(key, out var now))
            {
                if (now.Version != before)
                {
                    upserted.Add(now);
                }
            }
            else if (before is not null)
            {
                removed.Add(key);
            }
        }

        _touched.Clear();
        return (upserted, removed);
    }

    /// <summary>
    /// The listener names claimed by more than one hostname since the last call: which hostname
    /// is served and which one is not.
    /// </summary>
    public IReadOnlyList<ListenerConflict> TakeConflicts()
    {
        var conflicts = _conflicts.ToList();
        _conflicts.Clear();
        return conflicts;
    }

    private bool IsForScope(XdsResource resource) =>
        (resource.Audience & _audience) != 0 && (_clustersOnly is not { } clusters || IsClusterType(resource.TypeUrl) == clusters);

    // Only sidecar listeners can share a name across hostnames (proxyless ones are named by host).
    private bool IsClaimed(XdsResource resource) => _audience == ResourceAudience.Sidecar && resource.TypeUrl == TypeUrls.Listener;

    private void Claim(string hostname, string name, XdsResource? listener)
    {
        if (!_listenerClaims.TryGetValue(name, out var claims))
        {
            if (listener is null)
            {
                return;
            }

            claims = new SortedDictionary<string, XdsResource>(StringComparer.Ordinal);
            _listenerClaims.Add(name, claims);
        }

        var isNew = false;
        if (listener is null)
        {
            claims.Remove(hostname);
        }
        else
        {
            isNew = claims.TryAdd(hostname, listener);
            claims[hostname] = listener;
        }

        var key = new ResourceKey(TypeUrls.Listener, name);
        var httpPort = HttpPortOf(name);
        if (claims.Count == 0)
        {
            _listenerClaims.Remove(name);
            if (httpPort is { } port && _virtualHosts.ContainsKey(port))
            {
                return; // The port's HTTP listener holds the name.
            }

            Set(key, null);
            return;
        }

        var (served, resource) = claims.First();
        if (httpPort is { } http && _virtualHosts.ContainsKey(http))
        {
            if (isNew)
            {
                _conflicts.Add(new ListenerConflict(name, $"the HTTP routes of port {http}", [hostname]));
            }

            return;
        }

        if (isNew && claims.Count > 1)
        {
            _conflicts.Add(new ListenerConflict(name, served, served == hostname ? claims.Keys.Skip(1).ToList() : [hostname]));
        }

        if (!_current.TryGetValue(key, out var old) || old.Version != resource.Version)
        {
            Set(key, resource);
        }
    }

    /// <summary>The port of an HTTP listener name <c>0.0.0.0_&lt;port&gt;</c>, or null for any other name.</summary>
    private static int? HttpPortOf(string name) =>
        name.StartsWith(SidecarTranslator.AnyAddress + "_", StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(SidecarTranslator.AnyAddress.Length + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            ? port
            : null;

    private void SetPiece(string name, XdsResource? piece)
    {
        if (SidecarTranslator.PortOfPiece(name) is not { } port)
        {
            return;
        }

        if (!_virtualHosts.TryGetValue(port, out var pieces))
        {
            if (piece is null)
            {
                return;
            }

            pieces = new SortedDictionary<string, XdsResource>(StringComparer.Ordinal);
            _virtualHosts.Add(port, pieces);
        }

        if (piece is null)
        {
            pieces.Remove(name);
        }
        else if (pieces.TryGetValue(name, out var old) && old.Version == piece.Version)
        {
            return;
        }
        else
        {
            pieces[name] = piece;
        }

        _touchedPorts.Add(port);
    }

    private void Set(ResourceKey key, XdsResource? resource)
    {
        _touched.TryAdd(key, _current.TryGetValue(key, out var old) ? old.Version : null);
        if (resource is null)
        {
            _current.Remove(key);
        }
        else
        {
            _current[key] = resource;
        }
    }
}
