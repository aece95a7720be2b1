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

    protected override void HandleRequest(DeltaDiscoveryRequest request)
    {
        var typeUrl = ResolveTypeUrl(request.TypeUrl);
        ValidateNames(request.ResourceNamesSubscribe, "resource_names_subscribe");
        ValidateNames(request.ResourceNamesUnsubscribe, "resource_names_unsubscribe");
        ValidateNames(request.InitialResourceVersions.Keys.ToList(), "initial_resource_versions");
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
                var current = Cache.Current.Of(typeUrl).GetValueOrDefault(name) is { } cached ? ForProxy(cached) : null;
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
        var index = state.Nonces.FindIndex(n => n.Nonce == nonce);
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
    protected override void PushChanges()
    {
        var (view, changed) = AdvanceView();
        bool Relevant(DeltaTypeState state) => Touches(changed, state.TypeUrl, state.Wildcard, state.Names);

        var plan = new List<(string TypeUrl, Phase Phase)>
        {
            (TypeUrls.Cluster, Phase.AdditionsOnly),
            (TypeUrls.ClusterLoadAssignment, Phase.AdditionsOnly),
            (TypeUrls.Listener, Phase.All),
            (TypeUrls.RouteConfiguration, Phase.All),
            (TypeUrls.ClusterLoadAssignment, Phase.RemovalsOnly),
            (TypeUrls.Cluster, Phase.RemovalsOnly),
        };
        foreach (var (typeUrl, phase) in plan)
        {
            if (_types.TryGetValue(typeUrl, out var state) && state.Requested && Relevant(state))
            {
                PushType(state, view, phase, alwaysRespond: false);
            }
        }
    }

    private void PushType(DeltaTypeState state, ResourceCache.CacheView view, Phase phase, bool alwaysRespond)
    {
        var available = view.Of(state.TypeUrl);
        var upserts = new Dictionary<string, CachedResource>(StringComparer.Ordinal);
        var removed = new List<string>();
        if (phase != Phase.RemovalsOnly)
        {
            IEnumerable<CachedResource> wanted = state.Wildcard
                ? available.Values
                : state.Names.Select(n => available.GetValueOrDefault(n)).OfType<CachedResource>();
            foreach (var cached in wanted)
            {
                var resource = ForProxy(cached);
                if (!state.ClientHas.TryGetValue(resource.Name, out var held) || held != resource.Version)
                {
                    upserts[resource.Name] = resource;
                }
            }
        }

        if (phase != Phase.AdditionsOnly)
        {
            // Deleted resources the client holds, and named ones that do not exist (said once).
            removed.AddRange(state.ClientHas.Keys.Where(n => !available.ContainsKey(n)));
            removed.AddRange(state.Names.Where(n => !available.ContainsKey(n) && !state.ClientHas.ContainsKey(n) && !state.ReportedAbsent.Contains(n)));
        }

        if (upserts.Count == 0 && removed.Count == 0 && !alwaysRespond)
        {
            return;
        }

        foreach (var resource in upserts.Values)
        {
            state.ClientHas[resource.Name] = resource.Version;
            state.ReportedAbsent.Remove(resource.Name);
        }

        foreach (var name in removed)
        {
            state.ClientHas.Remove(name);
            if (state.Names.Contains(name))
            {
                state.ReportedAbsent.Add(name);
            }
        }

        removed.Sort(StringComparer.Ordinal);
        Respond(state, upserts.Values.OrderBy(r => r.Name, StringComparer.Ordinal).ToList(), removed, view.TypeVersion(state.TypeUrl));
    }

    private void Respond(DeltaTypeState state, IReadOnlyList<CachedResource> upserts, IReadOnlyList<string> removed, string systemVersion)
    {
        var nonce = NextNonce();
        var response = new DeltaDiscoveryResponse { TypeUrl = state.TypeUrl, Nonce = nonce, SystemVersionInfo = systemVersion };
        foreach (var resource in upserts)
        {
            response.Resources.Add(new Resource { Name = resource.Name, Version = resource.Version, Resource_ = resource.Any });
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
}
