using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend.Internal;

/// <summary>
/// One incremental (Delta) stream, aggregated or for one type.
/// </summary>
/// <remarks>
/// Protocol rules (xDS REST and gRPC protocol, "Incremental xDS"): subscriptions change by
/// resource_names_subscribe / unsubscribe; "*" (or, for LDS and CDS, an empty first request)
/// is the wildcard; initial_resource_versions on a stream's first request says what the
/// client already holds, so a resource at that version is not sent again and one that no
/// longer exists is reported in removed_resources; every resource carries its content hash
/// as version; a deleted (or never existing) subscribed resource is reported in
/// removed_resources; each response has a nonce that the client ACKs or NACKs. Subscription
/// changes apply whatever nonce a request carries.
/// </remarks>
internal sealed partial class DeltaStream(StreamContext<DeltaDiscoveryRequest, DeltaDiscoveryResponse> context)
    : XdsStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(context)
{
    private readonly Dictionary<string, DeltaTypeState> _types = new(StringComparer.Ordinal);

    private enum Phase
    {
        All,
        AdditionsOnly,
        RemovalsOnly,
    }

    protected override string Protocol => FixedTypeUrl is null ? "ADS Delta" : "Delta " + FixedTypeUrl[TypeUrls.Prefix.Length..];

    protected override Node? NodeOf(DeltaDiscoveryRequest request) => request.Node;

    protected override string TypeUrlOf(DeltaDiscoveryRequest request) => request.TypeUrl;

    protected override string TypeUrlOfResponse(DeltaDiscoveryResponse response) => response.TypeUrl;

    protected override IEnumerable<string> RequestedNamesOf(DeltaDiscoveryRequest request) => request.ResourceNamesSubscribe;

    protected override void HandleRequest(DeltaDiscoveryRequest request)
    {
        var typeUrl = ResolveTypeUrl(request.TypeUrl);
        ValidateNames(request.ResourceNamesSubscribe, "resource_names_subscribe");
        ValidateNames(request.ResourceNamesUnsubscribe, "resource_names_unsubscribe");
        if (request.InitialResourceVersions.Count > 0)
        {
            ValidateNames(request.InitialResourceVersions.Keys.ToList(), "initial_resource_versions");
        }

        var state = StateOf(_types, typeUrl, static t => new DeltaTypeState(t));

        if (request.ResponseNonce.Length > 0)
        {
            HandleAck(state, request);
        }

        var first = !state.Requested;
        state.Requested = true;
        var changed = first;
        if (first)
        {
            foreach (var (name, version) in request.InitialResourceVersions)
            {
                // Share the cache's strings where the client holds the current version.
                // A proxy with a locality holds its locality's variant, so compare with that.
                var current = ResourcesOf(Cache.Current, typeUrl).GetValueOrDefault(name) is { } cached ? ForProxy(cached) : null;
                state.ClientHas[current?.Name ?? name] = current is not null && current.Version == version ? current.Version : version;
            }

            if (request.ResourceNamesSubscribe.Count == 0 && (TypeUrls.IsFullStateInSotw(typeUrl) || !TypeUrls.IsKnown(typeUrl)))
            {
                state.Wildcard = true; // The legacy wildcard (xDS "How the client specifies what resources to return").
            }
        }

        foreach (var name in request.ResourceNamesSubscribe)
        {
            if (name == "*")
            {
                changed |= !state.Wildcard;
                state.Wildcard = true;
            }
            else
            {
                changed |= state.Names.Add(Cache.Current.Intern(typeUrl, name));
            }
        }

        foreach (var name in request.ResourceNamesUnsubscribe)
        {
            if (name == "*")
            {
                changed |= state.Wildcard;
                state.Wildcard = false;
            }
            else
            {
                changed |= state.Names.Remove(name);
            }
        }

        if (!changed)
        {
            return;
        }

        // The client drops what it unsubscribed from; forget it so that subscribing again resends it.
        foreach (var name in state.ClientHas.Keys.Where(n => !state.Wants(n)).ToList())
        {
            state.ClientHas.Remove(name);
        }

        state.ReportedAbsent.RemoveWhere(n => !state.Names.Contains(n));
        RecordSubscription(typeUrl, state.Wildcard, state.Names);

        if (!TypeUrls.IsKnown(typeUrl))
        {
            LogUnknownType(Logger, NodeId, typeUrl);
            Respond(state, [], [], string.Empty);
            return;
        }

        PushType(state, SeenView, Phase.All, alwaysRespond: first);
    }

    private void HandleAck(DeltaTypeState state, DeltaDiscoveryRequest request)
    {
        var nonce = request.ResponseNonce;
        var index = -1;
        for (var i = 0; i < state.Nonces.Count; i++)
        {
            if (state.Nonces[i].Nonce == nonce)
            {
                index = i;
                break;
            }
        }

        if (index < 0)
        {
            LogStaleNonce(Logger, NodeId, state.TypeUrl, nonce);
            return;
        }

        var version = state.Nonces[index].Version;
        state.Nonces.RemoveRange(0, index + 1);
        if (request.ErrorDetail is { } error)
        {
            Record(state.TypeUrl, ProxyEventKind.Nacked, version, nonce, error.Message);
            LogNack(Logger, NodeId, state.TypeUrl, version, nonce, error.Code, error.Message);
        }
        else
        {
            Record(state.TypeUrl, ProxyEventKind.Acked, version, nonce, null);
            LogAck(Logger, NodeId, state.TypeUrl, version, nonce);
        }
    }

    /// <summary>
    /// Make-before-break: additions and updates of clusters and endpoints first, then
    /// listeners and routes (with their removals), then removals of endpoints and clusters.
    /// </summary>
    private static readonly (string TypeUrl, Phase Phase)[] s_pushPlan =
    [
        (TypeUrls.Cluster, Phase.AdditionsOnly),
        (TypeUrls.ClusterLoadAssignment, Phase.AdditionsOnly),
        (TypeUrls.Listener, Phase.All),
        (TypeUrls.RouteConfiguration, Phase.All),
        (TypeUrls.ClusterLoadAssignment, Phase.RemovalsOnly),
        (TypeUrls.Cluster, Phase.RemovalsOnly),
        (TypeUrls.Secret, Phase.All),
    ];

    /// <summary>
    /// Pushes a cache change in make-before-break order (<see cref="s_pushPlan"/>). When the view's
    /// log reaches back to the view the stream last worked from, only the names that changed since
    /// are looked at (<see cref="ResourceCache.CacheView.ChangesSince"/>, shared by every stream that
    /// was there); otherwise everything the stream subscribes to is compared with what the client holds.
    /// </summary>
    protected override void PushChanges()
    {
        var from = LastSeen;
        var (view, changed) = AdvanceView();
        var secretsChanged = TakeSecretsChanged();
        foreach (var (typeUrl, phase) in s_pushPlan)
        {
            if (!_types.TryGetValue(typeUrl, out var state) || !state.Requested
                || !(Touches(changed, typeUrl, state.Wildcard, state.Names) || (secretsChanged && typeUrl == TypeUrls.Secret)))
            {
                continue;
            }

            // Secrets are the stream's own: the cache's change log knows nothing of them.
            if (typeUrl != TypeUrls.Secret && changed is not null && from is not null && view.ChangesSince(from.Generation, from.Epoch, typeUrl) is { } changes)
            {
                PushChanged(state, view, changes, phase);
            }
            else
            {
                PushType(state, view, phase, alwaysRespond: false);
            }
        }
    }

    /// <summary>
    /// Pushes what the client must hear of <paramref name="changes"/>: a changed resource it wants
    /// at a version it does not hold, and a removed one it holds (or subscribed to by name and was
    /// not yet told is absent). The same outcome as <see cref="PushType"/> would reach, for a stream
    /// in step with the view the changes start from, at the cost of the changes alone.
    /// </summary>
    private void PushChanged(DeltaTypeState state, ResourceCache.CacheView view, ResourceChanges changes, Phase phase)
    {
        var upsert = phase != Phase.RemovalsOnly && changes.Upserted > 0;
        var remove = phase != Phase.AdditionsOnly && changes.Removed > 0;
        if (!upsert && !remove)
        {
            return;
        }

        List<CachedResource>? upserts = null;
        List<string>? removed = null;
        foreach (var (name, current) in changes.Entries)
        {
            if (current is not null)
            {
                if (upsert && state.Wants(name))
                {
                    var resource = ForProxy(current);
                    if (!state.ClientHas.TryGetValue(resource.Name, out var held) || (!ReferenceEquals(held, resource.Version) && held != resource.Version))
                    {
                        (upserts ??= new List<CachedResource>(changes.Upserted)).Add(resource);
                    }
                }
            }
            else if (remove && (state.ClientHas.ContainsKey(name) || (state.Names.Contains(name) && !state.ReportedAbsent.Contains(name))))
            {
                (removed ??= []).Add(name);
            }
        }

        if (upserts is null && removed is null)
        {
            return;
        }

        // The entries are in name order, so both lists already are.
        Commit(state, upserts ?? [], removed ?? [], view.TypeVersion(state.TypeUrl));
    }

    private void PushType(DeltaTypeState state, ResourceCache.CacheView view, Phase phase, bool alwaysRespond)
    {
        var available = ResourcesOf(view, state.TypeUrl);
        var upserts = new List<CachedResource>();
        var removed = new List<string>();
        if (phase != Phase.RemovalsOnly)
        {
            if (state.Wildcard)
            {
                foreach (var cached in available.Values)
                {
                    AddIfNotHeld(state, ForProxy(cached), upserts);
                }
            }
            else
            {
                foreach (var name in state.Names)
                {
                    if (available.TryGetValue(name, out var cached))
                    {
                        AddIfNotHeld(state, ForProxy(cached), upserts);
                    }
                }
            }
        }

        if (phase != Phase.AdditionsOnly)
        {
            // Deleted resources the client holds, and named ones that do not exist (said once).
            foreach (var name in state.ClientHas.Keys)
            {
                if (!available.ContainsKey(name))
                {
                    removed.Add(name);
                }
            }

            foreach (var name in state.Names)
            {
                if (!available.ContainsKey(name) && !state.ClientHas.ContainsKey(name) && !state.ReportedAbsent.Contains(name))
                {
                    removed.Add(name);
                }
            }
        }

        if (upserts.Count == 0 && removed.Count == 0 && !alwaysRespond)
        {
            return;
        }

        upserts.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        removed.Sort(StringComparer.Ordinal);
        Commit(state, upserts, removed, view.TypeVersion(state.TypeUrl));
    }

    private static void AddIfNotHeld(DeltaTypeState state, CachedResource resource, List<CachedResource> upserts)
    {
        if (!state.ClientHas.TryGetValue(resource.Name, out var held) || held != resource.Version)
        {
            upserts.Add(resource);
        }
    }

    /// <summary>Notes what the client holds after <paramref name="upserts"/> and <paramref name="removed"/> (both in name order), and sends them.</summary>
    private void Commit(DeltaTypeState state, List<CachedResource> upserts, List<string> removed, string systemVersion)
    {
        foreach (var resource in upserts)
        {
            state.ClientHas[resource.Name] = resource.Version;
            if (state.ReportedAbsent.Count > 0)
            {
                state.ReportedAbsent.Remove(resource.Name);
            }
        }

        foreach (var name in removed)
        {
            state.ClientHas.Remove(name);
            if (state.Names.Contains(name))
            {
                state.ReportedAbsent.Add(name);
            }
        }

        Respond(state, upserts, removed, systemVersion);
    }

    private void Respond(DeltaTypeState state, IReadOnlyList<CachedResource> upserts, IReadOnlyList<string> removed, string systemVersion)
    {
        var nonce = NextNonce();
        var response = new DeltaDiscoveryResponse { TypeUrl = state.TypeUrl, Nonce = nonce, SystemVersionInfo = systemVersion };
        response.Resources.Capacity = upserts.Count;
        foreach (var resource in upserts)
        {
            // The wrapper is the resource version's own, shared by every stream that sends it.
            response.Resources.Add(resource.DeltaResource);
        }

        response.RemovedResources.AddRange(removed);
        state.Nonces.Add((nonce, systemVersion));
        if (state.Nonces.Count > DeltaTypeState.RememberedNonces)
        {
            state.Nonces.RemoveAt(0);
        }

        Send(response);
        Record(state.TypeUrl, ProxyEventKind.Sent, systemVersion, nonce, null);
        LogSent(Logger, NodeId, state.TypeUrl, systemVersion, nonce, upserts.Count, removed.Count);
    }

    /// <summary>
    /// What the client holds (<see cref="DeltaTypeState.ClientHas"/>), with the bytes the stream sent
    /// where the cache still holds that version; secrets without their contents.
    /// </summary>
    protected override IReadOnlyList<Debug.SentResource> SnapshotSent()
    {
        // The view the stream last pushed from (SeenView would set it, which is the loop's to do).
        var view = LastSeen ?? Cache.Current;
        return _types.Values.SelectMany(t => t.ClientHas.Select(held => new Debug.SentResource(t.TypeUrl, held.Key, held.Value,
            t.TypeUrl != TypeUrls.Secret && ResourcesOf(view, t.TypeUrl).GetValueOrDefault(held.Key) is { } cached && ForProxy(cached) is { } sent && sent.Version == held.Value ? sent.Any : null))).ToList();
    }
}
