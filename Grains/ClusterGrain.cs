using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Registry;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Mesh.Orleans.Grains;

/// <summary>
/// One member cluster. A source hands it the cluster's whole declaration; it pushes each
/// changed hostname's input to that hostname's ServiceGrain, then hands the resulting
/// resources to the scope in one batch, so that a proxy sees one change set, in
/// make-before-break order, even when a change spans several services.
/// </summary>
public sealed partial class ClusterGrain(
    [PersistentState("cluster", GrainStorage.Mesh)] IPersistentState<ClusterGrainState> state,
    ILogger<ClusterGrain> logger) : Grain, IClusterGrain
{
    // Per hostname, the object instances its last pushed input was made from. A source that
    // re-reads only what changed hands over the same instances for everything else, so an
    // unchanged hostname is recognised by reference without hashing its input (in memory only:
    // after reactivation, or when a declaration arrives copied, the hashes decide).
    private Dictionary<string, object?[]> _sources = new(StringComparer.Ordinal);
    private bool _scopeTold;

    /// <inheritdoc/>
    public async Task ApplyAsync(ClusterConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var clusterId = this.GetPrimaryKeyString();
        var inputs = ServiceInputBuilder.Build(config, out var sources);
        var previous = state.State.InputHashes;

        var changes = new List<(string Host, ServiceInput? Input, string? Hash)>();
        foreach (var (host, input) in inputs)
        {
            if (previous.ContainsKey(host) && _sources.TryGetValue(host, out var before) && SameInstances(before, sources[host]))
            {
                continue;
            }

            var hash = InputHash.Of(input);
            if (!previous.TryGetValue(host, out var old) || old != hash)
            {
                changes.Add((host, input, hash));
            }
        }

        foreach (var host in previous.Keys.Where(h => !inputs.ContainsKey(h)))
        {
            changes.Add((host, null, null));
        }

        var updates = await Task.WhenAll(changes.Select(async change =>
        {
            try
            {
                var resources = await GrainFactory.GetGrain<IServiceGrain>(change.Host).UpdateClusterInputAsync(clusterId, change.Input);
                return (change, resources, (Exception?)null);
            }
            catch (Exception exception)
            {
                return (change, (ServiceResources?)null, exception);
            }
        }));

        _sources = new Dictionary<string, object?[]>(sources, StringComparer.Ordinal);
        var batch = new List<ServiceResources>(updates.Length);
        foreach (var (change, resources, error) in updates)
        {
            if (error is not null || resources is null)
            {
                // Forget the hash so that the next declaration retries this host.
                previous.Remove(change.Host);
                _sources.Remove(change.Host);
                LogServiceUpdateFailed(logger, error, clusterId, change.Host);
                continue;
            }

            if (change.Hash is null)
            {
                previous.Remove(change.Host);
            }
            else
            {
                previous[change.Host] = change.Hash;
            }

            batch.Add(resources);
        }

        // The first apply of this activation reaches the scope even when nothing changed, so a
        // scope activated empty (a restarted silo) learns that its mesh is known now.
        if (batch.Count > 0 || !_scopeTold)
        {
            await GrainFactory.GetGrain<IScopeGrain>(ScopeNames.Default).ApplyAsync(batch);
            _scopeTold = true;
        }

        var warnings = ConfigAnalyzer.Analyze(config);
        var warningsChanged = !state.State.Warnings.SequenceEqual(warnings);
        if (warningsChanged)
        {
            // Each warning is logged once, when it first appears, not on every resync.
            var known = state.State.Warnings.ToHashSet();
            foreach (var warning in warnings.Where(w => !known.Contains(w)))
            {
                LogWarning(logger, clusterId, warning.Kind, warning.Namespace, warning.Name, warning.Field, warning.Message);
            }
        }

        // Write only when something changed: an unchanged declaration (a periodic resync) costs no storage write.
        if (batch.Count > 0 || updates.Length > 0 || warningsChanged || !state.State.Rejected.SequenceEqual(config.Rejected))
        {
            state.State.Rejected = [.. config.Rejected];
            state.State.Warnings = [.. warnings];
            await state.WriteStateAsync();
        }
        LogApplied(logger, clusterId, config.Services.Count, config.EndpointSlices.Count, config.VirtualServices.Count, config.Rejected.Count, batch.Count,
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private static bool SameInstances(object?[] a, object?[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (!ReferenceEquals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<RejectedObject>> GetRejectedAsync() =>
        Task.FromResult<IReadOnlyList<RejectedObject>>(state.State.Rejected.ToList());

    /// <inheritdoc/>
    public Task<IReadOnlyList<ConfigWarning>> GetWarningsAsync() =>
        Task.FromResult<IReadOnlyList<ConfigWarning>>(state.State.Warnings.ToList());

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> GetHostnamesAsync() =>
        Task.FromResult<IReadOnlyList<string>>(state.State.InputHashes.Keys.Order(StringComparer.Ordinal).ToList());

    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "Cluster {ClusterId} applied: {Services} services, {Slices} endpoint slices, {VirtualServices} virtual services, {Rejected} rejected; {Changed} hostnames changed in {ElapsedMs:0.0} ms")]
    private static partial void LogApplied(ILogger logger, string clusterId, int services, int slices, int virtualServices, int rejected, int changed, double elapsedMs);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Cluster {ClusterId}: {Kind} {Namespace}/{Name} {Field}: {Message}")]
    private static partial void LogWarning(ILogger logger, string clusterId, string kind, string @namespace, string name, string field, string message);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Cluster {ClusterId} could not update hostname {Host}; it is retried on the next change")]
    private static partial void LogServiceUpdateFailed(ILogger logger, Exception? exception, string clusterId, string host);
}
