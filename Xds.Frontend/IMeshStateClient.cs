using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// Everything the frontend asks of the grains, behind one interface so the protocol code
/// can be tested against a fake.
/// </summary>
public interface IMeshStateClient
{
    /// <summary>
    /// Subscribes (or renews the subscription) to a scope's changes and returns its current
    /// generation and epoch, with its resources when <paramref name="includeResources"/>.
    /// </summary>
    Task<ScopeSnapshot> SubscribeAsync(string scope, Action<ScopeUpdate> onUpdate, bool includeResources, CancellationToken cancellationToken);

    /// <summary>Ends this process's subscription to a scope whose cache it no longer holds.</summary>
    Task UnsubscribeAsync(string scope, CancellationToken cancellationToken);

    /// <summary>Reports that a stream of a node opened. One-way: never waits on the grain.</summary>
    void ReportConnected(string streamId, ProxyNode node);

    /// <summary>Reports that a stream of a node closed. One-way.</summary>
    void ReportDisconnected(string streamId, string nodeId);

    /// <summary>Reports protocol events of a node's stream. One-way.</summary>
    void Report(string nodeId, IReadOnlyList<ProxyEvent> events);

    /// <summary>The sync state of a node, as its ProxyGrain holds it.</summary>
    Task<ProxyStatus> GetProxyStatusAsync(string nodeId, CancellationToken cancellationToken);
}
