using System.Collections.Concurrent;
using Mesh.Orleans.Grains.Interfaces.Proxies;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Xds.Frontend;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// An <see cref="IMeshStateClient"/> without a silo (DESIGN seam 6): scopes are snapshots the test
/// sets, subscriptions are recorded, and the test pushes updates to the subscribed callbacks.
/// </summary>
public sealed class FakeMeshStateClient : IMeshStateClient
{
    private readonly ConcurrentDictionary<string, ScopeSnapshot> _scopes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Action<ScopeUpdate>> _subscribers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _unsubscribed = new();

    /// <summary>The scopes subscribed to now.</summary>
    public IReadOnlyCollection<string> Subscribed => _subscribers.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>The scopes whose subscription was ended, in order.</summary>
    public IReadOnlyCollection<string> Unsubscribed => _unsubscribed.ToList();

    /// <summary>Sets what a scope holds.</summary>
    public void Set(ScopeSnapshot snapshot) => _scopes[snapshot.Scope] = snapshot;

    /// <summary>Sends <paramref name="update"/> to the scope's subscriber, if any; returns whether there was one.</summary>
    public bool Push(ScopeUpdate update)
    {
        if (!_subscribers.TryGetValue(update.Scope, out var subscriber))
        {
            return false;
        }

        subscriber(update);
        return true;
    }

    /// <inheritdoc/>
    public Task<ScopeSnapshot> SubscribeAsync(string scope, Action<ScopeUpdate> onUpdate, bool includeResources, CancellationToken cancellationToken)
    {
        _subscribers[scope] = onUpdate;
        var snapshot = _scopes.GetValueOrDefault(scope) ?? new ScopeSnapshot(scope, Guid.Empty, 0, [], Loaded: false);
        return Task.FromResult(includeResources ? snapshot : snapshot with { Resources = [] });
    }

    /// <inheritdoc/>
    public Task UnsubscribeAsync(string scope, CancellationToken cancellationToken)
    {
        _subscribers.TryRemove(scope, out _);
        _unsubscribed.Enqueue(scope);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public void ReportConnected(string streamId, ProxyNode node)
    {
    }

    /// <inheritdoc/>
    public void ReportDisconnected(string streamId, string nodeId)
    {
    }

    /// <inheritdoc/>
    public void Report(string nodeId, IReadOnlyList<ProxyEvent> events)
    {
    }

    /// <inheritdoc/>
    public Task<ProxyStatus> GetProxyStatusAsync(string nodeId, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the fake mesh keeps no proxy status");
}
