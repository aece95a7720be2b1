using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// An <see cref="IClusterConfigSink"/> that records every declaration a source applies, and
/// can be told to fail, so a source's behaviour is tested without a silo.
/// </summary>
public sealed class RecordingConfigSink : IClusterConfigSink
{
    private readonly object _gate = new();
    private readonly List<ClusterConfig> _applied = [];
    private Func<Exception?> _failure = () => null;

    /// <summary>Every declaration applied so far.</summary>
    public IReadOnlyList<ClusterConfig> Applied
    {
        get
        {
            lock (_gate)
            {
                return [.. _applied];
            }
        }
    }

    /// <summary>The last declaration applied, or null.</summary>
    public ClusterConfig? Last
    {
        get
        {
            lock (_gate)
            {
                return _applied.Count == 0 ? null : _applied[^1];
            }
        }
    }

    /// <summary>Makes the next applies throw what <paramref name="failure"/> returns (null: succeed).</summary>
    public void FailWith(Func<Exception?> failure) => _failure = failure;

    /// <inheritdoc/>
    public Task ApplyAsync(string clusterId, ClusterConfig config, CancellationToken cancellationToken)
    {
        if (_failure() is { } exception)
        {
            throw exception;
        }

        lock (_gate)
        {
            _applied.Add(config);
        }

        return Task.CompletedTask;
    }
}
