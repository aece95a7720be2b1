using Envoy.Service.Status.V3;
using Mesh.Orleans.Xds.Frontend;
using Mesh.Orleans.Xds.Frontend.Debug;

namespace Mesh.Orleans.Silo.Debug;

/// <summary>
/// A frontend's own push and connection views, as istiod's <c>/debug/push_status</c> and
/// <c>/debug/connections</c> (<c>pilot/pkg/xds/debug.go</c>): what this process's scope caches
/// applied last and the xDS streams open on it. Mapped only where a frontend runs.
/// </summary>
internal static class FrontendStatusEndpoints
{
    /// <summary>Maps <c>/debug/push_status</c> and <c>/debug/connections</c>.</summary>
    public static IEndpointRouteBuilder MapFrontendStatusEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/debug/push_status", (ResourceInterner interner, StreamRegistry registry) =>
        {
            var streams = registry.Streams;
            var types = streams.SelectMany(s => s.Stats.Types).GroupBy(t => t.TypeUrl, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal);
            return Results.Json(new
            {
                totalPushes = interner.Pushes.Count,
                pushes = interner.Pushes.Snapshot().Reverse().Select(p => new
                {
                    time = p.Time,
                    scope = p.Scope,
                    fromEpoch = p.FromEpoch,
                    epoch = p.ToEpoch,
                    changed = p.Changed,
                    removed = p.Removed,
                    byType = p.ByType,
                    durationSeconds = p.Duration.TotalSeconds,
                    listeners = p.Listeners,

                    // The streams the scope's changes reach now: its own and those of layered scopes built on it.
                    streams = streams.Count(s => s.Scope == p.Scope || s.Scope.Split('+').Contains(p.Scope, StringComparer.Ordinal)),
                }),
                streams = streams.Count,
                responses = streams.Sum(s => s.Stats.Responses),
                bytes = streams.Sum(s => s.Stats.Bytes),
                types = types.Select(g => new
                {
                    typeUrl = g.Key,
                    streams = g.Count(),
                    sent = g.Count(t => t.SentNonce is not null),
                    synced = g.Count(t => ClientStatuses.StatusOf(t) == ConfigStatus.Synced),
                    nacked = g.Count(t => t.LastError is not null),
                }),
            });
        });

        endpoints.MapGet("/debug/connections", (HttpContext http, StreamRegistry registry) =>
        {
            if (DebugQuery.Limit(http.Request, out var error) is not int limit)
            {
                return error!;
            }

            var streams = registry.Streams.OrderBy(s => s.OpenedAt).ThenBy(s => s.StreamId, StringComparer.Ordinal).ToList();
            return Results.Json(new
            {
                totalClients = streams.Count,
                clients = streams.Take(limit).Select(s => new
                {
                    connectionId = s.StreamId,
                    nodeId = s.NodeId,
                    address = s.Peer,
                    protocol = s.Protocol,
                    connectedAt = s.OpenedAt,
                    scope = s.Scope,
                    kind = s.Kind.ToString(),
                    types = s.Stats.Types.Select(t => new
                    {
                        typeUrl = t.TypeUrl,
                        subscribed = t.SubscriptionCount,
                        status = StatusName(ClientStatuses.StatusOf(t)),
                        sent = t.SentVersion,
                        acked = t.AckedVersion,
                    }),
                }),
                truncated = streams.Count > limit,
            });
        });

        return endpoints;
    }

    /// <summary>The CSDS status as the proto spells it (istioctl prints these).</summary>
    private static string StatusName(ConfigStatus status) => status switch
    {
        ConfigStatus.Synced => "SYNCED",
        ConfigStatus.NotSent => "NOT_SENT",
        ConfigStatus.Stale => "STALE",
        ConfigStatus.Error => "ERROR",
        _ => "UNKNOWN",
    };
}
