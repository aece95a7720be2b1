using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.MemberClusters;
using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Silo.Sources.Kubernetes;
using Mesh.Orleans.Xds.Frontend;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Silo.Debug;

/// <summary>
/// Istio-style debug endpoints on the debug port: <c>/debug/syncz</c> (each proxy connected
/// to this process and, per type, the version sent, ACKed or NACKed), <c>/debug/config</c>
/// (the objects the source rejected, with reasons) and <c>/debug/stats</c> (memory and counters).
/// </summary>
public static class DebugEndpoints
{
    /// <summary>Maps the debug endpoints this process's role can answer.</summary>
    public static IEndpointRouteBuilder MapDebugEndpoints(this IEndpointRouteBuilder endpoints, MeshRole role)
    {
        endpoints.MapStatusPage();
        endpoints.MapGet("/debug/stats", async (HttpContext http, IServiceProvider services) => Results.Json(await ProcessStats.ReadAsync(services, http.Request.Query.ContainsKey("gc"))));

        // The mesh root (public: what proxies trust, Istio's istio-ca-root-cert), so a client of the TLS port can check the server.
        endpoints.MapGet("/debug/rootca", async (IGrainFactory grains) =>
            Results.Text(await grains.GetGrain<Grains.Interfaces.ICertificateAuthorityGrain>(Grains.Interfaces.ICertificateAuthorityGrain.Key).GetRootCertificateAsync(), "application/x-pem-file"));
        endpoints.MapRegistryEndpoints(); // /debug/registryz, /debug/endpointz (RegistryEndpoints.cs)
        endpoints.MapConfigzEndpoint(); // /debug/configz (ConfigzEndpoint.cs)
        if (role is MeshRole.Silo)
        {
            MapConfig(endpoints);
            return endpoints;
        }

        endpoints.MapGet("/debug/syncz", async (StreamRegistry registry, IMeshStateClient mesh, CancellationToken cancellationToken) =>
        {
            var streams = registry.Streams;
            var proxies = new List<object>();
            foreach (var group in streams.GroupBy(s => s.NodeId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                // Live state from this frontend's streams; the node as its ProxyGrain holds it.
                var status = await mesh.GetProxyStatusAsync(group.Key, cancellationToken);
                proxies.Add(new
                {
                    nodeId = group.Key,
                    node = status.Node,
                    scope = group.First().Scope,
                    streams = group.Select(s => new { s.StreamId, s.Protocol, s.Peer, s.OpenedAt, s.Stats.Responses, s.Stats.Bytes }),
                    types = group.SelectMany(s => s.Stats.Types).Select(t => new
                    {
                        typeUrl = t.TypeUrl,
                        subscribed = t.Subscription,
                        subscribedCount = t.SubscriptionCount,
                        sent = t.SentVersion,
                        sentNonce = t.SentNonce,
                        acked = t.AckedVersion,
                        nacked = t.NackedVersion,
                        error = t.NackError,
                        status = t.State,
                        lastChange = t.LastChange,
                    }),
                });
            }

            return Results.Json(proxies);
        });

        endpoints.MapConfigDump();
        endpoints.MapFrontendStatusEndpoints(); // /debug/push_status, /debug/connections (FrontendStatusEndpoints.cs)

        // The scopes this frontend holds caches of, with how many streams lease each and its size.
        endpoints.MapGet("/debug/scopes", (ScopeCaches caches, ResourceCache defaultCache) => Results.Json(
            new[] { new { scope = defaultCache.Scope, leases = defaultCache.ListenerCount, resources = defaultCache.Current.ByType.Values.Sum(t => t.Count) } }
                .Concat(caches.InUse().Select(s => new { scope = s.Scope, leases = s.Leases, resources = s.Resources }))));

        // Istio's scope view: each scope this frontend serves, its proxies and streams, and (for a
        // shared scope) how many hostnames its ScopeGrain holds.
        endpoints.MapGet("/debug/scopez", async (ScopeCaches caches, ResourceCache defaultCache, StreamRegistry registry, IGrainFactory grains) =>
        {
            var streams = registry.Streams;
            var scopes = new[] { (Scope: defaultCache.Scope, Resources: defaultCache.Current.ByType.Values.Sum(t => t.Count)) }
                .Concat(caches.InUse().Select(s => (s.Scope, s.Resources)))
                .DistinctBy(s => s.Scope, StringComparer.Ordinal)
                .OrderBy(s => s.Scope, StringComparer.Ordinal);
            var result = new List<object>();
            foreach (var (scope, resources) in scopes)
            {
                var served = streams.Where(s => s.Scope == scope).ToList();
                var layers = scope.Split('+', 2);
                int? hostnames = layers.Length == 1 && !ScopeNames.IsWorkload(scope) && !ScopeNames.IsGateway(scope)
                    ? (await Task.WhenAll((ScopeNames.IsWholeMesh(scope) ? ScopeNames.ShardsOf(scope) : [scope])
                        .Select(g => grains.GetGrain<IScopeGrain>(g).GetHostnameCountAsync())).WaitAsync(ProcessStats.SiloCallTimeout)).Sum()
                    : null;
                result.Add(new
                {
                    scope,
                    layers,
                    hostnames,
                    resources,
                    proxies = served.Select(s => s.NodeId).Distinct(StringComparer.Ordinal).Count(),
                    streams = served.Count,
                });
            }

            return Results.Json(result);
        });

        if (role is MeshRole.All)
        {
            MapConfig(endpoints);
        }

        return endpoints;
    }

    private static void MapConfig(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/debug/config", async (IGrainFactory grains, IOptions<YamlSourceOptions> options, MemberClusters clusters, IServiceProvider services) =>
        {
            var rows = new List<object>();
            if (services.GetService<YamlDirectorySource>() is { } source)
            {
                rows.Add(await ClusterConfigAsync(grains, options.Value.ClusterId, source.Status.Directory, source.Status));
            }

            foreach (var spec in clusters.Kubernetes)
            {
                MemberClusterStatus? watched = null;
                try
                {
                    watched = await grains.GetGrain<IMemberClusterGrain>(spec.Id).GetStatusAsync().WaitAsync(TimeSpan.FromSeconds(2));
                }
                catch (Exception exception) when (exception is TimeoutException or OrleansException)
                {
                    // The watcher's silo is not answering: the rest of the page still shows.
                }

                rows.Add(await ClusterConfigAsync(grains, spec.Id, spec.Kubeconfig ?? "in-cluster", null, watched?.Ignored));
            }

            return Results.Json(new { clusters = rows });
        });

        endpoints.MapGet("/debug/clusterz", async (IGrainFactory grains, IOptions<YamlSourceOptions> options, MemberClusters clusters, IServiceProvider services, CancellationToken cancellationToken) =>
        {
            var rows = new List<object>();
            if (services.GetService<YamlDirectorySource>() is { } source)
            {
                var status = source.Status;
                var rejected = await grains.GetGrain<IClusterGrain>(options.Value.ClusterId).GetRejectedAsync();
                rows.Add(new
                {
                    id = options.Value.ClusterId,
                    source = status.Directory,
                    connected = status.State is SourceState.Watching,
                    lastContact = status.LastApplied,
                    lastEvent = status.LastApplied,
                    objects = status.Report?.ObjectsPerKind,
                    rejected = rejected.Count,
                    error = status.Error,
                    watchedBy = Environment.MachineName,
                });
            }

            foreach (var spec in clusters.Kubernetes)
            {
                MemberClusterStatus? status = null;
                string? error = null;
                try
                {
                    status = await grains.GetGrain<IMemberClusterGrain>(spec.Id).GetStatusAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    error = exception.Message;
                }

                rows.Add(new
                {
                    id = spec.Id,
                    source = spec.Kubeconfig ?? "in-cluster",
                    network = spec.Network,
                    locality = spec.Region is null && spec.Zone is null ? null : $"{spec.Region}/{spec.Zone}",
                    connected = status?.Connected ?? false,
                    lastContact = status?.LastContact,
                    lastEvent = status?.LastEvent,
                    objects = status?.ObjectsPerKind,
                    rejected = status?.Rejected ?? 0,
                    error = error ?? status?.Error ?? (status is null ? "not watched yet" : null),
                    kinds = status?.Kinds,
                    watchedBy = status?.Host,
                });
            }

            return Results.Json(rows);
        });
    }

    private static async Task<object> ClusterConfigAsync(IGrainFactory grains, string clusterId, string origin, SourceStatus? status, IReadOnlyList<string>? ignoredLines = null)
    {
        var cluster = grains.GetGrain<IClusterGrain>(clusterId);
        var rejected = await cluster.GetRejectedAsync();
        var warnings = await cluster.GetWarningsAsync();
        var hostnames = await cluster.GetHostnamesAsync();
        return new
        {
            clusterId,
            source = origin,
            sourceStatus = status is null ? null : new
            {
                state = status.State.ToString(),
                since = status.Since,
                error = status.Error,
                lastApplied = status.LastApplied,
                files = status.Files,
                skippedLinks = status.Listing?.SkippedLinks.Select(l => new { link = l.Link, reason = l.Reason }),
                unreadable = status.Listing?.Unlisted.Select(u => new { path = u.Path, reason = u.Reason }),
                truncated = status.Listing?.Truncated,
                objectsPerKind = status.Report?.ObjectsPerKind,
                skippedKinds = status.Report?.SkippedKinds,
            },
            hostnames,
            rejected = rejected.Select(r => new
            {
                source = r.Source,
                kind = r.Kind,
                @namespace = r.Namespace,
                name = r.Name,
                field = r.Field,
                reason = r.Reason,
                keptLastGood = r.KeptLastGood,
            }),
            ignored = (object?)status?.Report?.Ignored.Select(i => new
            {
                source = i.Source,
                kind = i.Kind,
                @namespace = i.Namespace,
                name = i.Name,
                reason = i.Reason,
            }) ?? ignoredLines,
            warnings = warnings.Select(w => new
            {
                kind = w.Kind,
                @namespace = w.Namespace,
                name = w.Name,
                field = w.Field,
                message = w.Message,
            }),
        };
    }
}
