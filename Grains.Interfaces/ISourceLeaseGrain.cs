namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>
/// Which process reads a source that every silo could read (a YAML directory, keyed by its member
/// cluster id): silos sharing one deployment take turns, so one watches it and the others stand
/// by. The holder renews before the lease runs out; when it dies its lease runs out and another
/// takes it. The lease is held in memory: when its grain's silo dies, the next silo to ask takes it,
/// and a holder that finds its lease gone stops.
/// </summary>
public interface ISourceLeaseGrain : IGrainWithStringKey
{
    /// <summary>Takes the lease for <paramref name="holder"/> for <paramref name="duration"/>, or renews it; true when <paramref name="holder"/> holds it now.</summary>
    Task<bool> TryHoldAsync(string holder, TimeSpan duration);

    /// <summary>Gives the lease up, when <paramref name="holder"/> holds it (a silo stopping).</summary>
    Task ReleaseAsync(string holder);

    /// <summary>The holder now, or null.</summary>
    Task<string?> GetHolderAsync();
}
