using System.Collections.Concurrent;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// <see cref="IMeshStateClient"/> over Orleans: scope subscriptions are grain observers,
/// proxy reports are one-way grain calls.
/// </summary>
public sealed partial class OrleansMeshStateClient(IGrainFactory grains, ILogger<OrleansMeshStateClient> logger) : IMeshStateClient
{
    // The observer objects must stay referenced: Orleans holds them weakly.
    private readonly ConcurrentDictionary<string, (ScopeObserver Observer, IScopeObserver Reference)> _observers = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public Task<ScopeSnapshot> SubscribeAsync(string scope, Action<ScopeUpdate> onUpdate, bool includeResources, CancellationToken cancellationToken)
    {
        var entry = _observers.GetOrAdd(scope, _ =>
        {
            var observer = new ScopeObserver(onUpdate);
            if (ScopeNames.IsWholeMesh(scope))
            {
                observer.Union = new WholeMeshSubscription(scope, ScopeNames.GrainsOf(scope));
            }

            return (observer, grains.CreateObjectReference<IScopeObserver>(observer));
        });
        entry.Observer.OnUpdate = onUpdate;
        if (entry.Observer.Union is { } union)
        {
            // A whole-mesh scope is the union of its shards' grains: one feed of them all.
            union.OnUpdate = onUpdate;
            return union.SubscribeAsync(
                (part, resources) => resources
                    ? SubscribePagedAsync(grains.GetGrain<IScopeGrain>(part), entry.Reference, cancellationToken)
                    : grains.GetGrain<IScopeGrain>(part).SubscribeAsync(entry.Reference, includeResources: false).WaitAsync(cancellationToken),
                includeResources).WaitAsync(cancellationToken);
        }

        var source = SourceOf(scope);
        if (!includeResources || source is not IScopeGrain paged)
        {
            return source.SubscribeAsync(entry.Reference, includeResources).WaitAsync(cancellationToken);
        }

        return SubscribePagedAsync(paged, entry.Reference, cancellationToken);
    }

    /// <summary>
    /// Subscribes to a scope grain and reads its snapshot in pages (a scope of the whole mesh can be
    /// larger than one Orleans message may carry): the epoch the subscription answered, page by
    /// page. When the scope moved on before the first page, it subscribes again (a few times).
    /// </summary>
    private static async Task<ScopeSnapshot> SubscribePagedAsync(IScopeGrain scope, IScopeObserver observer, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var header = await scope.SubscribeAsync(observer, includeResources: false).WaitAsync(cancellationToken);
            if (!header.Loaded)
            {
                return header;
            }

            var resources = new List<XdsResource>();
            int? next = 0;
            while (next is { } start)
            {
                var page = await scope.GetSnapshotPageAsync(header.Generation, header.Epoch, start).WaitAsync(cancellationToken);
                if (page is null)
                {
                    break;
                }

                resources.AddRange(page.Resources);
                next = page.Next;
            }

            if (next is null)
            {
                return header with { Resources = resources };
            }

            if (attempt >= 4)
            {
                // The scope keeps moving: take its snapshot whole, as before paging.
                return await scope.SubscribeAsync(observer, includeResources: true).WaitAsync(cancellationToken);
            }
        }
    }

    /// <inheritdoc/>
    public async Task UnsubscribeAsync(string scope, CancellationToken cancellationToken)
    {
        // Async so that a failure to reach the grain (the host being disposed) faults the task,
        // which callers log, rather than throwing out of a cache's shutdown.
        if (_observers.TryRemove(scope, out var entry))
        {
            await (entry.Observer.Union is { } union
                ? Task.WhenAll(union.Parts.Select(p => grains.GetGrain<IScopeGrain>(p).UnsubscribeAsync(entry.Reference)))
                : SourceOf(scope).UnsubscribeAsync(entry.Reference)).WaitAsync(cancellationToken);
        }
    }

    /// <summary>The grain that holds <paramref name="scope"/>: a workload's own grain, a gateway label set's, or a scope of part of the mesh's.</summary>
    private IScopeSource SourceOf(string scope) =>
        ScopeNames.IsWorkload(scope) ? grains.GetGrain<IWorkloadGrain>(scope)
        : ScopeNames.IsGateway(scope) ? grains.GetGrain<IGatewayGrain>(scope)
        : grains.GetGrain<IScopeGrain>(scope);

    /// <inheritdoc/>
    public void ReportConnected(string streamId, ProxyNode node) =>
        Forget(grains.GetGrain<IProxyGrain>(node.Id).ConnectedAsync(streamId, node), node.Id);

    /// <inheritdoc/>
    public void ReportDisconnected(string streamId, string nodeId) =>
        Forget(grains.GetGrain<IProxyGrain>(nodeId).DisconnectedAsync(streamId), nodeId);

    /// <inheritdoc/>
    public void Report(string nodeId, IReadOnlyList<ProxyEvent> events) =>
        Forget(grains.GetGrain<IProxyGrain>(nodeId).RecordAsync(events), nodeId);

    /// <inheritdoc/>
    public Task<ProxyStatus> GetProxyStatusAsync(string nodeId, CancellationToken cancellationToken) =>
        grains.GetGrain<IProxyGrain>(nodeId).GetStatusAsync().WaitAsync(cancellationToken);

    private void Forget(Task call, string nodeId)
    {
        if (call.IsCompletedSuccessfully)
        {
            return;
        }

        call.ContinueWith(
            t => LogReportFailed(logger, t.Exception, nodeId),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "Could not report to the ProxyGrain of {NodeId}")]
    private static partial void LogReportFailed(ILogger logger, Exception? exception, string nodeId);

    private sealed class ScopeObserver(Action<ScopeUpdate> onUpdate) : IScopeObserver
    {
        public Action<ScopeUpdate> OnUpdate { get; set; } = onUpdate;

        /// <summary>For a whole-mesh scope, the union its shards' updates go through.</summary>
        public WholeMeshSubscription? Union { get; set; }

        public Task OnUpdateAsync(ScopeUpdate update)
        {
            if (Union is { } union)
            {
                union.Receive(update);
            }
            else
            {
                OnUpdate(update);
            }

            return Task.CompletedTask;
        }
    }
}
