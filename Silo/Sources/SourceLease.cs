using Mesh.Orleans.Grains.Interfaces;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>
/// Whether this process may read a source now. One silo alone always may; silos sharing a
/// deployment (<c>--redis</c>) take turns through an <see cref="ISourceLeaseGrain"/>, so exactly
/// one watches a YAML directory and the others stand by to take over when it dies.
/// </summary>
public abstract class SourceLease
{
    /// <summary>Whether the lease is shared with other silos (false: this process always holds it).</summary>
    public abstract bool Shared { get; }

    /// <summary>Takes or renews the lease of <paramref name="source"/>; true when this process holds it now.</summary>
    public abstract Task<bool> TryHoldAsync(string source, CancellationToken cancellationToken);

    /// <summary>Gives the lease of <paramref name="source"/> up, when held.</summary>
    public abstract Task ReleaseAsync(string source, CancellationToken cancellationToken);

    /// <summary>The lease of a process that is the deployment's only silo: always held.</summary>
    public sealed class Alone : SourceLease
    {
        /// <inheritdoc/>
        public override bool Shared => false;

        /// <inheritdoc/>
        public override Task<bool> TryHoldAsync(string source, CancellationToken cancellationToken) => Task.FromResult(true);

        /// <inheritdoc/>
        public override Task ReleaseAsync(string source, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The lease shared by the silos of one deployment, held in an <see cref="ISourceLeaseGrain"/> per source.</summary>
    public sealed class Granted(IGrainFactory grains, TimeSpan duration) : SourceLease
    {
        /// <summary>This process's name as a holder.</summary>
        public string Holder { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

        /// <inheritdoc/>
        public override bool Shared => true;

        /// <inheritdoc/>
        public override Task<bool> TryHoldAsync(string source, CancellationToken cancellationToken) =>
            grains.GetGrain<ISourceLeaseGrain>(source).TryHoldAsync(Holder, duration).WaitAsync(cancellationToken);

        /// <inheritdoc/>
        public override Task ReleaseAsync(string source, CancellationToken cancellationToken) =>
            grains.GetGrain<ISourceLeaseGrain>(source).ReleaseAsync(Holder).WaitAsync(cancellationToken);
    }
}
