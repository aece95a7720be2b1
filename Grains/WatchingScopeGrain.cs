using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Registry;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Grains;

/// <summary>
/// A scope whose resources are a pure function of inputs its member cluster's
/// <see cref="ClusterGrain"/> watches for it (a workload's own part, a gateway's listeners and
/// routes). It lives while frontends subscribe: on activation it starts the watch, which returns
/// the current inputs and tells it of every change after; it renews the watch now and then, so a
/// reactivated ClusterGrain (which keeps watches in memory only) learns it again. Equal inputs
/// give equal bytes and versions, so grains of equal inputs serve equal resources.
/// </summary>
/// <typeparam name="TInputs">What the resources are built from.</typeparam>
public abstract partial class WatchingScopeGrain<TInputs>(ILogger logger) : Grain
    where TInputs : class
{
    private static readonly TimeSpan s_renewInterval = TimeSpan.FromMinutes(1);

    private ScopeFeed? _feed;
    private Dictionary<ResourceKey, XdsResource> _resources = [];
    private string? _inputsHash;
    private IReadOnlyList<Translation.EnvoyFilterProblem> _patchProblems = [];

    /// <summary>The inputs of a scope its member cluster does not know yet: it serves what they build.</summary>
    protected abstract TInputs None { get; }

    /// <inheritdoc/>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        _feed = new ScopeFeed(key, logger);
        Initialize(key);

        // A member cluster that does not know yet tells later; meanwhile the scope serves what no inputs build.
        Apply(await WatchAsync() ?? None);
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
            await UnwatchAsync();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The cluster grain may be gone too; its watches went with it.
            LogUnwatchFailed(logger, exception, this.GetPrimaryKeyString());
        }
    }

    /// <summary>Reads the grain's key; throws when it does not name a scope of this kind.</summary>
    protected abstract void Initialize(string key);

    /// <summary>Starts (or renews) the watch; null while the member cluster does not know yet.</summary>
    protected abstract Task<TInputs?> WatchAsync();

    /// <summary>Ends the watch.</summary>
    protected abstract Task UnwatchAsync();

    /// <summary>The resources <paramref name="inputs"/> build (a pure function).</summary>
    protected abstract IEnumerable<XdsResource> Build(TInputs inputs);

    /// <summary>
    /// Tells <paramref name="cluster"/> what the EnvoyFilters patching this scope did not do, when
    /// that differs from what it was told last (one one-way call); it lists them on each EnvoyFilter.
    /// </summary>
    protected void ReportPatchProblems(IClusterGrain cluster, IReadOnlyList<Translation.EnvoyFilterProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(problems);
        if (!problems.SequenceEqual(_patchProblems))
        {
            _patchProblems = problems;
            _ = cluster.ReportPatchProblemsAsync(this.GetPrimaryKeyString(), problems.Select(p => p.ToWarning()).ToList());
        }
    }

    /// <summary>Takes the member cluster's news and tells the subscribed frontends what changed.</summary>
    protected async Task UpdateInputsAsync(TInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var (upserted, removed) = Apply(inputs);
        if (upserted.Count > 0 || removed.Count > 0)
        {
            var change = await _feed!.PublishAsync(upserted, removed);
            LogChanged(logger, change.Scope, _resources.Count, change.ToEpoch, _feed.Subscribers);
        }
    }

    /// <inheritdoc cref="IScopeSource.GetSnapshotAsync"/>
    public Task<ScopeSnapshot> GetSnapshotAsync() => Task.FromResult(Snapshot(includeResources: true));

    /// <inheritdoc cref="IScopeSource.SubscribeAsync"/>
    public Task<ScopeSnapshot> SubscribeAsync(IScopeObserver observer, bool includeResources)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _feed!.Subscribe(observer);
        return Task.FromResult(Snapshot(includeResources));
    }

    /// <inheritdoc cref="IScopeSource.UnsubscribeAsync"/>
    public Task UnsubscribeAsync(IScopeObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _feed!.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    private ScopeSnapshot Snapshot(bool includeResources) =>
        _feed!.Snapshot(() => _resources.Values.ToList(), includeResources, loaded: true);

    private (List<XdsResource> Upserted, List<ResourceKey> Removed) Apply(TInputs inputs)
    {
        // Equal inputs build equal resources: compare their content hashes, not the inputs.
        var hash = InputHash.Of(inputs);
        if (hash == _inputsHash)
        {
            return ([], []);
        }

        _inputsHash = hash;
        var resources = Build(inputs).ToDictionary(r => r.Key);
        var diff = ScopeFeed.Diff(_resources, resources);
        _resources = resources;
        return diff;
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        // Null: the cluster grain was reactivated and has not heard from its source yet; keep what is served.
        if (await WatchAsync() is { } inputs)
        {
            await UpdateInputsAsync(inputs);
        }
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Scope {Scope} now serves {Resources} resources: epoch {Epoch}, {Observers} frontends notified")]
    private static partial void LogChanged(ILogger logger, string scope, int resources, long epoch, int observers);

    [LoggerMessage(EventId = 211, Level = LogLevel.Debug, Message = "Scope {Scope} could not end its watch")]
    private static partial void LogUnwatchFailed(ILogger logger, Exception exception, string scope);
}
