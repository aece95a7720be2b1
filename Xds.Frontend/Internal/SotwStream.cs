using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend.Internal;

/// <summary>
/// One State-of-the-World stream, aggregated (ADS) or for one type (CDS, EDS, LDS, RDS).
/// </summary>
/// <remarks>
/// Protocol rules (xDS REST and gRPC protocol, "ACK/NACK and resource type instance version",
/// "When to send an update", "How the client specifies what resources to return"):
/// every response has a fresh nonce; a request carrying the last nonce is an ACK, or a
/// NACK when error_detail is set; a request carrying an older nonce is stale and ignored;
/// LDS and CDS responses carry the whole subscribed set (a missing resource is deleted),
/// EDS and RDS responses carry only what changed; a NACKed version is not sent again.
/// </remarks>
internal sealed partial class SotwStream(StreamContext<DiscoveryRequest, DiscoveryResponse> context)
    : XdsStream<DiscoveryRequest, DiscoveryResponse>(context)
{
    private readonly Dictionary<string, TypeState> _types = new(StringComparer.Ordinal);

    protected override string Protocol => FixedTypeUrl is null ? "ADS SotW" : "SotW " + FixedTypeUrl[TypeUrls.Prefix.Length..];

    protected override Node? NodeOf(DiscoveryRequest request) => request.Node;

    protected override string TypeUrlOf(DiscoveryRequest request) => request.TypeUrl;

    protected override string TypeUrlOfResponse(DiscoveryResponse response) => response.TypeUrl;

    protected override IEnumerable<string> RequestedNamesOf(DiscoveryRequest request) => request.ResourceNames;

    protected override void HandleRequest(DiscoveryRequest request)
    {
        var typeUrl = ResolveTypeUrl(request.TypeUrl);
        ValidateNames(request.ResourceNames, "resource_names");
        var state = StateOf(_types, typeUrl, static t => new TypeState(t));

        var nonce = request.ResponseNonce;
        if (nonce.Length > 0)
        {
            if (nonce != state.Nonce)
            {
                LogStaleNonce(Logger, NodeId, typeUrl, nonce, state.Nonce);
                return;
            }

            if (request.ErrorDetail is { } error)
            {
                state.NackedVersion = state.SentVersion;
                Record(typeUrl, ProxyEventKind.Nacked, state.SentVersion ?? string.Empty, nonce, error.Message);
                LogNack(Logger, NodeId, typeUrl, state.SentVersion, nonce, error.Code, error.Message);
            }
            else
            {
                state.AckedVersion = request.VersionInfo;
                Record(typeUrl, ProxyEventKind.Acked, request.VersionInfo, nonce, null);
                LogAck(Logger, NodeId, typeUrl, request.VersionInfo, nonce);
            }
        }

        var firstForType = !state.Requested;
        var subscriptionChanged = UpdateSubscription(state, request.ResourceNames, firstForType, Cache.Current);
        state.Requested = true;
        if (subscriptionChanged)
        {
            RecordSubscription(typeUrl, state.Wildcard, state.Names);
        }

        if (!TypeUrls.IsKnown(typeUrl))
        {
            if (firstForType || subscriptionChanged)
            {
                // An unknown type gets an empty response, not a broken stream.
                LogUnknownType(Logger, NodeId, typeUrl);
                Respond(state, string.Empty, []);
            }

            return;
        }

        if (nonce.Length == 0 || subscriptionChanged)
        {
            PushType(state, SeenView, forced: true, keepRemoved: false);
        }
    }

    /// <summary>
    /// Applies a request's resource_names. For LDS and CDS an empty first request is the
    /// legacy wildcard, kept by later empty requests; "*" is the explicit wildcard for any type.
    /// Returns true when the subscription changed.
    /// </summary>
    private static bool UpdateSubscription(TypeState state, IReadOnlyCollection<string> names, bool first, ResourceCache.CacheView view)
    {
        // The common case, an ACK repeating the subscription, allocates nothing.
        if (!first && names.Count > 0 && !state.LegacyWildcard
            && names.Count == state.Names.Count + (state.Wildcard ? 1 : 0)
            && names.All(n => n == "*" ? state.Wildcard : state.Names.Contains(n)))
        {
            return false;
        }

        bool wildcard;
        bool legacy;
        HashSet<string> named;
        if (names.Count == 0)
        {
            legacy = first ? TypeUrls.IsFullStateInSotw(state.TypeUrl) || !TypeUrls.IsKnown(state.TypeUrl) : state.LegacyWildcard;
            wildcard = legacy;
            named = new HashSet<string>(StringComparer.Ordinal);
        }
        else
        {
            legacy = false;
            named = new HashSet<string>(names.Select(n => view.Intern(state.TypeUrl, n)), StringComparer.Ordinal);
            wildcard = named.Remove("*");
        }

        var changed = first || wildcard != state.Wildcard || !named.SetEquals(state.Names);
        state.Wildcard = wildcard;
        state.LegacyWildcard = legacy;
        if (changed)
        {
            state.Names.Clear();
            state.Names.UnionWith(named);

            // Forget what the client no longer asks for, so that asking again resends it.
            foreach (var name in state.Sent.Keys.Where(n => !state.Wants(n)).ToList())
            {
                state.Sent.Remove(name);
            }
        }

        return changed;
    }

    /// <summary>
    /// Pushes a cache change in make-before-break order: CDS first, still holding clusters
    /// that were removed, then EDS, LDS and RDS, and only then CDS without the removed
    /// clusters, so no route ever names a cluster the client lacks. Types whose changed
    /// names the stream does not subscribe to are not looked at.
    /// </summary>
    protected override void PushChanges()
    {
        var (view, changed) = AdvanceView();
        var secretsChanged = TakeSecretsChanged();
        bool Relevant(TypeState state) => Touches(changed, state.TypeUrl, state.Wildcard, state.Names) || (secretsChanged && state.TypeUrl == TypeUrls.Secret);

        _types.TryGetValue(TypeUrls.Cluster, out var clusters);
        var clustersChanged = clusters is not null && Relevant(clusters);
        if (clustersChanged)
        {
            PushType(clusters!, view, forced: false, keepRemoved: true);
        }

        foreach (var typeUrl in TypeUrls.PushOrder.Skip(1))
        {
            if (_types.TryGetValue(typeUrl, out var state) && Relevant(state))
            {
                PushType(state, view, forced: false, keepRemoved: false);
            }
        }

        if (clustersChanged)
        {
            PushType(clusters!, view, forced: false, keepRemoved: false);
        }
    }

    private void PushType(TypeState state, ResourceCache.CacheView view, bool forced, bool keepRemoved)
    {
        if (!state.Requested)
        {
            return;
        }

        var available = ResourcesOf(view, state.TypeUrl);
        var included = new Dictionary<string, CachedResource>(StringComparer.Ordinal);
        if (state.Wildcard)
        {
            foreach (var (name, resource) in available)
            {
                included[name] = ForProxy(resource);
            }
        }

        foreach (var name in state.Names)
        {
            if (available.TryGetValue(name, out var resource))
            {
                included[name] = ForProxy(resource);
            }
        }

        var kept = 0;
        if (keepRemoved)
        {
            foreach (var (name, resource) in state.Sent)
            {
                if (included.TryAdd(name, resource))
                {
                    kept++;
                }
            }
        }

        // A plain wildcard's version is the type's, computed once per cache view for all streams
        // (unless this stream is sent locality variants, whose versions are their own).
        var version = state.Wildcard && state.Names.Count == 0 && kept == 0 && !SendsVariants(state.TypeUrl)
            ? view.TypeVersion(state.TypeUrl)
            : ResourceVersion.OfSet(included.Values.Select(r => (r.Name, r.Version)));
        if (!forced && (version == state.SentVersion || version == state.NackedVersion))
        {
            return;
        }

        List<CachedResource> toSend;
        if (TypeUrls.IsFullStateInSotw(state.TypeUrl))
        {
            toSend = [.. included.Values];
            state.Sent.Clear();
        }
        else
        {
            // EDS and RDS: only what the client does not hold at this version.
            toSend = included.Values.Where(r => !state.Sent.TryGetValue(r.Name, out var held) || held.Version != r.Version).ToList();
            foreach (var name in state.Sent.Keys.Where(n => !included.ContainsKey(n)).ToList())
            {
                state.Sent.Remove(name);
            }

            if (toSend.Count == 0 && state.EverSent)
            {
                state.SentVersion = version;
                return;
            }
        }

        foreach (var resource in toSend)
        {
            state.Sent[resource.Name] = resource;
        }

        toSend.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        Respond(state, version, toSend);
    }

    private void Respond(TypeState state, string version, IReadOnlyList<CachedResource> resources)
    {
        var nonce = NextNonce();
        var response = new DiscoveryResponse { VersionInfo = version, TypeUrl = state.TypeUrl, Nonce = nonce };
        foreach (var resource in resources)
        {
            response.Resources.Add(resource.Any);
        }

        state.Nonce = nonce;
        state.SentVersion = version;
        Send(response);
        Record(state.TypeUrl, ProxyEventKind.Sent, version, nonce, null);
        LogSent(Logger, NodeId, state.TypeUrl, version, nonce, resources.Count);
    }

    /// <summary>An ADS stream opened with an Istio debug type (istioctl) is a debug stream; a per-type service's never is.</summary>
    protected override bool IsDebugRequest(DiscoveryRequest first) => FixedTypeUrl is null && Debug.IstioDebugTypes.IsDebug(first.TypeUrl);

    protected override Task<DiscoveryResponse> AnswerDebugAsync(DiscoveryRequest request, CancellationToken cancellation) =>
        new Debug.IstioDebugAnswers(Registry, Time, Logger, Options.MaxNameLength).AnswerAsync(NodeId, request, NextNonce(), cancellation);

    /// <summary>What the client holds as this stream sent it (<see cref="TypeState.Sent"/>), secrets without their contents.</summary>
    protected override IReadOnlyList<Debug.SentResource> SnapshotSent() =>
        _types.Values.SelectMany(t => t.Sent.Values.Select(r => new Debug.SentResource(t.TypeUrl, r.Name, r.Version, t.TypeUrl == TypeUrls.Secret ? null : r.Any))).ToList();
}
