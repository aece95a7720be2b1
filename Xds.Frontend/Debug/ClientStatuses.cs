using Envoy.Admin.V3;
using Envoy.Config.Core.V3;
using Envoy.Service.Status.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Xds.Frontend.Debug;

/// <summary>
/// The sync status of the proxies connected to this frontend as <see cref="ClientConfig"/>s, in the
/// shape istiod's <c>debugSyncz</c> (<c>pilot/pkg/xds/statusgen.go</c>) writes them: the node (id and
/// metadata <c>CLUSTER_ID</c>, <c>NAMESPACE</c>, <c>ISTIO_VERSION</c> where the proxy said them) and one
/// <c>generic_xds_configs</c> entry per type with istiod's status. Answers both
/// <c>istio.io/debug/syncz</c> and CSDS. Read from each stream's <see cref="StreamStats"/>: no grain call.
/// </summary>
/// <remarks>
/// One ClientConfig per node, not per stream: a node's types are merged over its streams (an ADS
/// stream and an SDS stream, say), the newest stream's entry winning where two streams carry the
/// same type. Streams that began with an Istio debug request are never registered, so istioctl
/// never shows itself. CDS, LDS, EDS and RDS always appear (NOT_SENT while the proxy has not asked
/// for them or been answered); any other type once the proxy asked for it.
/// </remarks>
public sealed class ClientStatuses(StreamRegistry registry)
{
    /// <summary>At most this many ClientConfigs in one answer (the first by node id); more would make one message of megabytes.</summary>
    public const int MaxConfigs = 10_000;

    private static readonly string[] s_alwaysShown = [TypeUrls.Cluster, TypeUrls.Listener, TypeUrls.ClusterLoadAssignment, TypeUrls.RouteConfiguration];

    /// <summary>
    /// One ClientConfig per node connected here whose id <paramref name="include"/> accepts (every
    /// node when null), ordered by node id, at most <see cref="MaxConfigs"/>.
    /// </summary>
    public IReadOnlyList<ClientConfig> Build(Func<string, bool>? include = null)
    {
        var streams = registry.Streams.Where(s => include is null || include(s.NodeId));
        return streams
            .GroupBy(s => s.NodeId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Take(MaxConfigs)
            .Select(g => For(g.Key, g.ToList()))
            .ToList();
    }

    /// <summary>istiod's <c>debugSyncStatus</c>: ERROR after a NACK until the next ACK, NOT_SENT before any response, SYNCED when the last response's nonce was ACKed, else STALE.</summary>
    public static ConfigStatus StatusOf(TypeSyncStatus? type) =>
        type is null ? ConfigStatus.NotSent
        : type.LastError is not null ? ConfigStatus.Error
        : type.SentNonce is null ? ConfigStatus.NotSent
        : type.AckedNonce == type.SentNonce ? ConfigStatus.Synced
        : ConfigStatus.Stale;

    /// <summary>The per-type state of a node over its streams, by type URL; where two streams carry a type, the newest stream's.</summary>
    internal static Dictionary<string, TypeSyncStatus> TypesOf(IEnumerable<StreamRegistry.OpenStream> streams)
    {
        var types = new Dictionary<string, TypeSyncStatus>(StringComparer.Ordinal);
        foreach (var stream in streams.OrderBy(s => s.OpenedAt))
        {
            foreach (var type in stream.Stats.Types)
            {
                types[type.TypeUrl] = type;
            }
        }

        return types;
    }

    /// <summary>The node as a ClientConfig names it: its id and the metadata istiod copies (<c>CLUSTER_ID</c>, <c>NAMESPACE</c>, <c>ISTIO_VERSION</c>), strings, left out when unknown.</summary>
    internal static Node NodeOf(string nodeId, StreamRegistry.OpenStream stream)
    {
        var metadata = new Struct();
        foreach (var (key, value) in new[] { ("CLUSTER_ID", stream.ClusterId), ("NAMESPACE", stream.Namespace), ("ISTIO_VERSION", stream.IstioVersion) })
        {
            if (value.Length > 0)
            {
                metadata.Fields[key] = Value.ForString(value);
            }
        }

        return new Node { Id = nodeId, Metadata = metadata };
    }

    private static ClientConfig For(string nodeId, List<StreamRegistry.OpenStream> streams)
    {
        var config = new ClientConfig { Node = NodeOf(nodeId, streams.MaxBy(s => s.OpenedAt)!) };
        var types = TypesOf(streams);
        foreach (var typeUrl in types.Keys.Union(s_alwaysShown, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            config.GenericXdsConfigs.Add(Entry(typeUrl, types.GetValueOrDefault(typeUrl)));
        }

        return config;
    }

    private static ClientConfig.Types.GenericXdsConfig Entry(string typeUrl, TypeSyncStatus? type)
    {
        var status = StatusOf(type);
        var entry = new ClientConfig.Types.GenericXdsConfig { TypeUrl = typeUrl, ConfigStatus = status, VersionInfo = type?.SentVersion ?? string.Empty };
        if (type?.SentAt is { } sentAt)
        {
            // istiod's LastSendTime; left out (istiod writes year 1) for a type never answered.
            entry.LastUpdated = Timestamp.FromDateTimeOffset(sentAt);
        }

        if (status == ConfigStatus.Error)
        {
            entry.ErrorState = new UpdateFailureState { Details = type!.LastError!, VersionInfo = type.NackedVersion ?? string.Empty };
            if (type.SentAt is { } attempted)
            {
                entry.ErrorState.LastUpdateAttempt = Timestamp.FromDateTimeOffset(attempted);
            }
        }

        return entry;
    }
}
