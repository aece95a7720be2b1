using Envoy.Admin.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Xds.Frontend.Debug;

/// <summary>
/// A proxy's configuration as this frontend sent it, as Envoy's admin <c>/config_dump</c> shapes
/// it (<c>envoy.admin.v3</c> ClustersConfigDump, ListenersConfigDump, RoutesConfigDump,
/// SecretsConfigDump and, when asked, EndpointsConfigDump): what istiod answers
/// <c>istio.io/debug/config_dump</c> and <c>/debug/config_dump</c> with. Each of the proxy's streams
/// is asked on its own loop for what it holds, so the dump is what was sent, not what would be.
/// </summary>
/// <remarks>
/// Per resource, <c>version_info</c> is its content-hash version and <c>last_updated</c> when the last
/// response of its type went to the proxy; a dump's own <c>version_info</c> is the last one sent of
/// its type. Secrets are named, with version and time, and never carried: the project's
/// SecretsConfigDump has no field for key material.
/// </remarks>
public sealed class ConfigDumps(StreamRegistry registry, int maxNameLength, TimeProvider time)
{
    /// <summary>How long a stream is given to say what it holds; one that is stuck writing to a slow proxy makes the dump fail rather than wait.</summary>
    public static readonly TimeSpan StreamAnswerTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The node id of the proxy connected here that <paramref name="proxyId"/> names, as istiod finds
    /// it: the node id itself, else the first (in ordinal order) that contains it, so that
    /// <c>&lt;pod&gt;.&lt;ns&gt;</c> finds <c>sidecar~10.0.0.1~&lt;pod&gt;.&lt;ns&gt;~&lt;ns&gt;.svc.cluster.local</c>. Null when none does.
    /// </summary>
    public string? FindNode(string proxyId)
    {
        ArgumentNullException.ThrowIfNull(proxyId);
        if (proxyId.Length == 0 || proxyId.Length > maxNameLength)
        {
            return null;
        }

        var nodes = registry.Streams.Select(s => s.NodeId).Distinct(StringComparer.Ordinal).ToList();
        return nodes.Contains(proxyId, StringComparer.Ordinal)
            ? proxyId
            : nodes.Where(n => n.Contains(proxyId, StringComparison.Ordinal)).Order(StringComparer.Ordinal).FirstOrDefault();
    }

    /// <summary>
    /// The dump of node <paramref name="nodeId"/>: Clusters, (Endpoints with <paramref name="includeEndpoints"/>),
    /// Listeners, Routes and Secrets, in istiod's order. Null when the node has no stream here;
    /// <see cref="TimeoutException"/> when one of its streams does not answer within <see cref="StreamAnswerTimeout"/>.
    /// </summary>
    public async Task<ConfigDump?> DumpAsync(string nodeId, bool includeEndpoints, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        var streams = registry.Streams.Where(s => s.NodeId == nodeId).OrderBy(s => s.OpenedAt).ToList();
        if (streams.Count == 0)
        {
            return null;
        }

        // Newest stream last, so that it wins where two streams of the node hold one resource.
        var held = new Dictionary<(string TypeUrl, string Name), SentResource>();
        foreach (var stream in streams)
        {
            if (stream.SentResources is not { } ask)
            {
                continue;
            }

            IReadOnlyList<SentResource> sent;
            try
            {
                sent = await ask().WaitAsync(StreamAnswerTimeout, time, cancellationToken);
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The stream ended meanwhile: it holds nothing any more.
                continue;
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"stream {stream.StreamId} of node {nodeId} did not say what it holds within {StreamAnswerTimeout.TotalSeconds} s (it may be blocked writing to a slow proxy)");
            }

            foreach (var resource in sent)
            {
                held[(resource.TypeUrl, resource.Name)] = resource;
            }
        }

        var types = ClientStatuses.TypesOf(streams);
        var byType = held.Values
            .GroupBy(r => r.TypeUrl, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(r => r.Name, StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        List<SentResource> Of(string typeUrl) => byType.GetValueOrDefault(typeUrl) ?? [];
        Timestamp? SentAt(string typeUrl) => types.GetValueOrDefault(typeUrl)?.SentAt is { } at ? Timestamp.FromDateTimeOffset(at) : null;
        string VersionOf(string typeUrl) => types.GetValueOrDefault(typeUrl)?.SentVersion ?? string.Empty;

        var dump = new ConfigDump();
        var clusters = new ClustersConfigDump { VersionInfo = VersionOf(TypeUrls.Cluster) };
        foreach (var r in Of(TypeUrls.Cluster).Where(r => r.Resource is not null))
        {
            clusters.DynamicActiveClusters.Add(new ClustersConfigDump.Types.DynamicCluster { VersionInfo = r.Version, Cluster = r.Resource, LastUpdated = SentAt(r.TypeUrl) });
        }

        dump.Configs.Add(Any.Pack(clusters));
        if (includeEndpoints)
        {
            var endpoints = new EndpointsConfigDump();
            foreach (var r in Of(TypeUrls.ClusterLoadAssignment).Where(r => r.Resource is not null))
            {
                endpoints.DynamicEndpointConfigs.Add(new EndpointsConfigDump.Types.DynamicEndpointConfig { VersionInfo = r.Version, EndpointConfig = r.Resource, LastUpdated = SentAt(r.TypeUrl) });
            }

            dump.Configs.Add(Any.Pack(endpoints));
        }

        var listeners = new ListenersConfigDump { VersionInfo = VersionOf(TypeUrls.Listener) };
        foreach (var r in Of(TypeUrls.Listener).Where(r => r.Resource is not null))
        {
            listeners.DynamicListeners.Add(new ListenersConfigDump.Types.DynamicListener
            {
                Name = r.Name,
                ActiveState = new ListenersConfigDump.Types.DynamicListenerState { VersionInfo = r.Version, Listener = r.Resource, LastUpdated = SentAt(r.TypeUrl) },
            });
        }

        dump.Configs.Add(Any.Pack(listeners));
        var routes = new RoutesConfigDump();
        foreach (var r in Of(TypeUrls.RouteConfiguration).Where(r => r.Resource is not null))
        {
            routes.DynamicRouteConfigs.Add(new RoutesConfigDump.Types.DynamicRouteConfig { VersionInfo = r.Version, RouteConfig = r.Resource, LastUpdated = SentAt(r.TypeUrl) });
        }

        dump.Configs.Add(Any.Pack(routes));

        // Names, versions and times only: SecretsConfigDump (the project's subset) has no field for the secret.
        var secrets = new SecretsConfigDump();
        foreach (var r in Of(TypeUrls.Secret))
        {
            secrets.DynamicActiveSecrets.Add(new SecretsConfigDump.Types.DynamicSecret { Name = r.Name, VersionInfo = r.Version, LastUpdated = SentAt(r.TypeUrl) });
        }

        dump.Configs.Add(Any.Pack(secrets));
        return dump;
    }
}
