using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Grains;

/// <summary>
/// Writes one grain's state to the mesh store without letting the store stop the mesh. While the
/// store answers, <see cref="WriteAsync"/> completes once the state is written, as a plain write
/// does. When a write fails (Redis is down or restarting), the activation's state stays the
/// truth: the call that wrote goes on, so changes keep reaching proxies, and the writer tries
/// again in the background (after 1 s, doubling to every 5 s) until a write succeeds; changes
/// made meanwhile are taken by the next attempt, one write in flight at a time. The failure is
/// logged once per outage, the catch-up once.
/// </summary>
/// <remarks>
/// What this risks: a silo that dies while its grains are behind leaves older state in the store.
/// Every stored state here is corrected by the sources (which send everything to a reactivated
/// member-cluster grain) and by the scopes (which rebuild from their ServiceGrains).
/// A grain deactivated while behind tries again every 250 ms for up to 3 s (or the deactivation's
/// time); if the store still fails, the next activation starts from the older copy until its
/// member cluster's next full sync corrects it: a silo stopped or lost while Redis is down can
/// briefly serve a hostname as it was before the outage (a double fault; see the README).
/// </remarks>
public sealed partial class StateWriter<T>
{
    private static readonly TimeSpan s_firstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maxRetry = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_flushRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_flushLimit = TimeSpan.FromSeconds(3);

    private readonly IPersistentState<T> _state;
    private readonly ILogger _logger;
    private readonly Func<string> _grain;
    private readonly TimeProvider _time;
    private CancellationTokenSource? _stop;
    private Task? _behind;
    private bool _dirty;

    /// <summary>Creates the writer of <paramref name="state"/>; <paramref name="grain"/> names the grain in log lines.</summary>
    public StateWriter(IPersistentState<T> state, ILogger logger, Func<string> grain, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(grain);
        _state = state;
        _logger = logger;
        _grain = grain;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Whether the store holds an older state than the activation (a write failed and none has succeeded since).</summary>
    public bool Behind => _behind is not null;

    /// <summary>Writes the state now, or, while the store fails, leaves it to the background catch-up.</summary>
    public async Task WriteAsync()
    {
        if (_behind is not null)
        {
            _dirty = true;
            return;
        }

        try
        {
            await _state.WriteOrTakeOverAsync();
        }
        catch (Exception exception)
        {
            _dirty = true;
            LogBehind(_logger, exception, _grain(), exception.GetBaseException().Message);
            _stop = new CancellationTokenSource();
            _behind = CatchUpAsync(_stop.Token);
        }
    }

    /// <summary>On deactivation: stops the catch-up and, when the store is behind, tries one last write.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_behind is not { } behind)
        {
            return;
        }

        await _stop!.CancelAsync();
        try
        {
            await behind.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The deactivation's time is up.
        }

        if (!_dirty)
        {
            return;
        }

        // Every 250 ms, for at most 3 s or the deactivation's time: a Redis just back may need a
        // moment before this process's connection is.
        using var timeLimit = new CancellationTokenSource(s_flushLimit, _time);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeLimit.Token);
        while (true)
        {
            try
            {
                await _state.WriteOrTakeOverAsync().WaitAsync(limit.Token);
                _dirty = false;
                LogCaughtUp(_logger, _grain());
                return;
            }
            catch (Exception exception) when (!limit.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(s_flushRetry, _time, limit.Token);
                }
                catch (OperationCanceledException)
                {
                    LogLost(_logger, exception, _grain(), exception.GetBaseException().Message);
                    return;
                }
            }
            catch (Exception exception)
            {
                LogLost(_logger, exception, _grain(), exception.GetBaseException().Message);
                return;
            }
        }
    }

    private async Task CatchUpAsync(CancellationToken stop)
    {
        var delay = s_firstRetry;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(delay, _time, stop);
                try
                {
                    _dirty = false;
                    await _state.WriteOrTakeOverAsync();
                    if (!_dirty)
                    {
                        LogCaughtUp(_logger, _grain());
                        return;
                    }

                    // Changed while the write was in flight: write again at once.
                    delay = TimeSpan.Zero;
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    _dirty = true;
                    delay = delay < s_firstRetry ? s_firstRetry : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, s_maxRetry.Ticks));
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Deactivating: FlushAsync makes the last attempt.
        }
        finally
        {
            _behind = null;
        }
    }

    [LoggerMessage(EventId = 220, Level = LogLevel.Warning, Message = "Grain {Grain} could not write its state ({Reason}); it keeps serving what it holds and writes again in the background until the store answers")]
    private static partial void LogBehind(ILogger logger, Exception exception, string grain, string reason);

    [LoggerMessage(EventId = 221, Level = LogLevel.Information, Message = "Grain {Grain} wrote its state again: the store holds what it serves")]
    private static partial void LogCaughtUp(ILogger logger, string grain);

    [LoggerMessage(EventId = 222, Level = LogLevel.Warning, Message = "Grain {Grain} was deactivated before the store took its state ({Reason}); its next activation rebuilds from the sources")]
    private static partial void LogLost(ILogger logger, Exception exception, string grain, string reason);
}
