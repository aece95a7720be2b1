using System.Net;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Translation;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Grains;

/// <summary>
/// One workload's own resources (a sidecar's inbound side), for the frontends whose proxies run
/// beside it. It lives while frontends subscribe: on activation it watches its address in its
/// member cluster's <see cref="ClusterGrain"/>, which tells it when the workload's ports change;
/// it renews that watch now and then, so a reactivated ClusterGrain (which keeps watches in
/// memory only) learns it again. Its resources are a pure function of its inputs, so equal
/// workloads get equal bytes and versions.
/// </summary>
public sealed partial class WorkloadGrain(ILogger<WorkloadGrain> logger) : Grain, IWorkloadGrain
{
    private static readonly TimeSpan s_renewInterval = TimeSpan.FromMinutes(1);

    private ScopeFeed? _feed;
    private (Interfaces.Proxies.ProxyKind Kind, string MemberClusterId, string Ip) _workload;
    private Dictionary<ResourceKey, XdsResource> _resources = [];
    private WorkloadInputs? _inputs;

    /// <inheritdoc/>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        _feed = new ScopeFeed(key, logger);
        _workload = ScopeNames.ParseWorkload(key) is { } parsed && IPAddress.TryParse(parsed.Ip, out _)
            ? parsed
            : throw new ArgumentException($"'{key}' does not name a workload (workload/<kind>/<cluster>/<ip>)");
        // A member cluster that does not know yet tells later; meanwhile the workload serves no ports.
        Apply(await Cluster.WatchWorkloadAsync(_workload.Ip, this.AsReference<IWorkloadGrain>()) ?? WorkloadInputs.None);
        this.RegisterGrainTimer(RenewAsync, new GrainTimerCreationOptions(s_renewInterval, s_renewInterval) { KeepAlive = false });
    }

    /// <inheritdoc/>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (reason.ReasonCode == DeactivationReasonCode.ShuttingDown)
        {
            // The silo is going: so are the cluster grain's in-memory watches.
            return;
        }

        try
        {
            await Cluster.UnwatchWorkloadAsync(_workload.Ip, this.AsReference<IWorkloadGrain>());
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The cluster grain may be gone too; its watches went with it.
            LogUnwatchFailed(logger, exception, this.GetPrimaryKeyString());
        }
    }

    /// <inheritdoc/>
    public async Task UpdateAsync(WorkloadInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var (upserted, removed) = Apply(inputs);
        if (upserted.Count > 0 || removed.Count > 0)
        {
            var change = await _feed!.PublishAsync(upserted, removed);
            LogChanged(logger, change.Scope, inputs.Ports.Count, change.ToEpoch, _feed.Subscribers);
        }
    }

    /// <inheritdoc/>
    public Task<ScopeSnapshot> GetSnapshotAsync() => Task.FromResult(Snapshot(includeResources: true));

    /// <inheritdoc/>
    public Task<ScopeSnapshot> SubscribeAsync(IScopeObserver observer, bool includeResources)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _feed!.Subscribe(observer);
        return Task.FromResult(Snapshot(includeResources));
    }

    /// <inheritdoc/>
    public Task UnsubscribeAsync(IScopeObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _feed!.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    private IClusterGrain Cluster => GrainFactory.GetGrain<IClusterGrain>(_workload.MemberClusterId);

    private ScopeSnapshot Snapshot(bool includeResources) =>
        _feed!.Snapshot(() => _resources.Values.ToList(), includeResources, loaded: true);

    private (List<XdsResource> Upserted, List<ResourceKey> Removed) Apply(WorkloadInputs inputs)
    {
        if (inputs.SameAs(_inputs))
        {
            return ([], []);
        }

        _inputs = inputs;
        var resources = WorkloadTranslator.Build(_workload.Kind, _workload.Ip, inputs).ToDictionary(r => r.Key);
        var diff = ScopeFeed.Diff(_resources, resources);
        _resources = resources;
        return diff;
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        // Null: the cluster grain was reactivated and has not heard from its source yet; keep what is served.
        if (await Cluster.WatchWorkloadAsync(_workload.Ip, this.AsReference<IWorkloadGrain>()) is { } inputs)
        {
            await UpdateAsync(inputs);
        }
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Workload {Scope} now serves {Ports} ports: epoch {Epoch}, {Observers} frontends notified")]
    private static partial void LogChanged(ILogger logger, string scope, int ports, long epoch, int observers);

    [LoggerMessage(EventId = 211, Level = LogLevel.Debug, Message = "Workload {Scope} could not end its watch")]
    private static partial void LogUnwatchFailed(ILogger logger, Exception exception, string scope);
}
