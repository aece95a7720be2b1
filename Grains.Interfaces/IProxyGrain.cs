using Mesh.Orleans.Grains.Interfaces.Proxies;
using Orleans.Concurrency;

namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>
/// One connected proxy (keyed by node id): its identity, and what was sent, ACKed and
/// NACKed on its streams. Frontends report to it one-way, so the push path never waits on it.
/// </summary>
public interface IProxyGrain : IGrainWithStringKey
{
    /// <summary>A stream of this node opened.</summary>
    [OneWay]
    Task ConnectedAsync(string streamId, ProxyNode node);

    /// <summary>A stream of this node closed.</summary>
    [OneWay]
    Task DisconnectedAsync(string streamId);

    /// <summary>Records protocol events (sent, ACK, NACK) of one of this node's streams.</summary>
    [OneWay]
    Task RecordAsync(IReadOnlyList<ProxyEvent> events);

    /// <summary>The node's sync state.</summary>
    Task<ProxyStatus> GetStatusAsync();
}
