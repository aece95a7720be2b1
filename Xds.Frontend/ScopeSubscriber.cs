using Mesh.Orleans.Grains.Interfaces.Xds;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// Keeps the process's <see cref="ResourceCache"/> subscribed to its scope: fills it from the
/// scope's snapshot, applies each update, renews the subscription, and resyncs from the
/// snapshot whenever an update does not follow on from what the cache holds. Because the
/// cache is always rebuildable this way, a frontend holds nothing that a restart loses.
/// </summary>
public sealed class ScopeSubscriber(
    ResourceCache cache,
    IMeshStateClient mesh,
    IOptions<XdsFrontendOptions> options,
    TimeProvider time,
    ILogger<ScopeSubscriber> logger,
    SubscriptionRenewals? renewals = null) : BackgroundService
{
    /// <inheritdoc/>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        new ScopeSubscription(cache, mesh, options, time, logger, renewals).RunAsync(stoppingToken);
}

/// <summary>
/// One cache's subscription to its scope (see <see cref="ScopeSubscriber"/>), run for as long
/// as the cache is in use: the default scope's for the life of the process, any other scope's
/// while streams use it (<see cref="ScopeCaches"/>).
/// </summary>
internal sealed partial class ScopeSubscription(
    ResourceCache cache,
    IMeshStateClient mesh,
    XdsFrontendOptions options,
    TimeProvider time,
    ILogger logger,
    SubscriptionRenewals? renewals = null)
{
    public ScopeSubscription(ResourceCache cache, IMeshStateClient mesh, IOptions<XdsFrontendOptions> options, TimeProvider time, ILogger logger, SubscriptionRenewals? renewals)
        : this(cache, mesh, options.Value, time, logger, renewals)
    {
    }

    private readonly SemaphoreSlim _resync = new(0, 1);

    /// <summary>Keeps the cache subscribed until <paramref name="stoppingToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var retryDelay = TimeSpan.FromMilliseconds(100);
        var needSnapshot = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Taken before subscribing: a change of the connection from now on ends this round's wait.
            var renewNow = renewals?.Token ?? CancellationToken.None;
            try
            {
                var snapshot = await mesh.SubscribeAsync(cache.Scope, OnUpdate, needSnapshot, stoppingToken);
                if (!snapshot.Loaded)
                {
                    // A scope that does not know its mesh yet (its silo restarted before its sources
                    // read anything): keep serving what the cache holds, and look again soon.
                    LogNotLoaded(logger, cache.Scope, retryDelay);
                    needSnapshot = true;
                    await WaitForLoadAsync(retryDelay, stoppingToken);
                    retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
                    continue;
                }

                if (needSnapshot)
                {
                    cache.Reset(snapshot);
                    LogFilled(logger, cache.Scope, snapshot.Epoch, snapshot.Resources.Count);
                }

                var current = cache.Current;
                needSnapshot = current.Generation != snapshot.Generation || current.Epoch < snapshot.Epoch;
                if (needSnapshot)
                {
                    LogBehind(logger, cache.Scope, current.Epoch, snapshot.Epoch);
                    continue;
                }

                retryDelay = TimeSpan.FromMilliseconds(100);
                try
                {
                    // Renewed at the interval, or at once when the connection to the silos changed.
                    using var timeout = new CancellationTokenSource(options.SubscriptionRenewInterval, time);
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token, renewNow);
                    await _resync.WaitAsync(linked.Token);
                    needSnapshot = true;
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // Renewal time: subscribe again without resources, and compare epochs.
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                LogSubscribeFailed(logger, exception, cache.Scope, retryDelay);
                needSnapshot = true;
                try
                {
                    await Task.Delay(retryDelay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    /// <summary>
    /// Waits <paramref name="delay"/>, or less: the scope publishes an update when it becomes
    /// loaded, which the empty cache cannot apply and so asks for a resync, ending the wait then.
    /// </summary>
    private async Task WaitForLoadAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var timer = Task.Delay(delay, time, wake.Token);
        var signal = _resync.WaitAsync(wake.Token);
        await Task.WhenAny(timer, signal);
        await wake.CancelAsync();
        foreach (var task in new[] { timer, signal })
        {
            try
            {
                await task;
            }
            catch (OperationCanceledException)
            {
                // The other one ended the wait.
            }
        }

        stoppingToken.ThrowIfCancellationRequested();
    }

    private void OnUpdate(ScopeUpdate update)
    {
        if (!cache.TryApply(update))
        {
            LogGap(logger, cache.Scope, cache.Current.Epoch, update.FromEpoch, update.ToEpoch);
            if (_resync.CurrentCount == 0)
            {
                try
                {
                    _resync.Release();
                }
                catch (SemaphoreFullException)
                {
                    // Another update already asked for the resync.
                }
            }
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Scope {Scope} cache filled at epoch {Epoch} with {Count} resources")]
    private static partial void LogFilled(ILogger logger, string scope, long epoch, int count);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Scope {Scope} cache at epoch {Held} is behind epoch {Current}; resyncing")]
    private static partial void LogBehind(ILogger logger, string scope, long held, long current);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Scope {Scope} update {From}->{To} does not follow cache epoch {Held}; resyncing")]
    private static partial void LogGap(ILogger logger, string scope, long held, long from, long to);

    [LoggerMessage(EventId = 304, Level = LogLevel.Information, Message = "Scope {Scope} has not loaded its mesh yet; keeping the cache as it is and asking again in {Delay}")]
    private static partial void LogNotLoaded(ILogger logger, string scope, TimeSpan delay);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Scope {Scope} subscription failed; retrying in {Delay}")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception exception, string scope, TimeSpan delay);
}
