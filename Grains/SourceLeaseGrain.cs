using System.Diagnostics;
using Mesh.Orleans.Grains.Interfaces;

namespace Mesh.Orleans.Grains;

/// <summary>The lease of one source (see <see cref="ISourceLeaseGrain"/>), kept in memory.</summary>
public sealed class SourceLeaseGrain : Grain, ISourceLeaseGrain
{
    private string? _holder;
    private long _expires;

    /// <inheritdoc/>
    public Task<bool> TryHoldAsync(string holder, TimeSpan duration)
    {
        ArgumentException.ThrowIfNullOrEmpty(holder);
        var now = Stopwatch.GetTimestamp();
        if (_holder is not null && _holder != holder && now < _expires)
        {
            return Task.FromResult(false);
        }

        _holder = holder;
        _expires = now + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        return Task.FromResult(true);
    }

    /// <inheritdoc/>
    public Task ReleaseAsync(string holder)
    {
        if (_holder == holder)
        {
            _holder = null;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<string?> GetHolderAsync() => Task.FromResult(_holder is not null && Stopwatch.GetTimestamp() < _expires ? _holder : null);
}
