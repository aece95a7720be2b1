using Orleans.Storage;

namespace Mesh.Orleans.Grains;

/// <summary>Names of the grain storage providers the grains use, and how they write.</summary>
public static class GrainStorage
{
    /// <summary>
    /// The store for mesh state (cluster registries, per-host inputs, scopes). In-memory by
    /// default; a scaled-out deployment points it at a shared store (<c>--redis</c>).
    /// </summary>
    public const string Mesh = "mesh";

    /// <summary>
    /// Writes <paramref name="state"/>. When the store's copy is not the one this activation read
    /// (an <see cref="InconsistentStateException"/>: the store was emptied, as a Redis restarted
    /// without its data is, or its entry expired), the activation's state is the truth: Orleans
    /// runs one activation per grain, and every grain here can rebuild what it holds. It takes
    /// the store's current version over and writes again, so the mesh keeps taking changes.
    /// </summary>
    public static async Task WriteOrTakeOverAsync<T>(this IPersistentState<T> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        try
        {
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            var mine = state.State;
            await state.ReadStateAsync();
            state.State = mine;
            await state.WriteStateAsync();
        }
    }
}
