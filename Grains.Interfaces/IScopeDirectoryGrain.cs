using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>
/// The sidecar scopes in use across the mesh (one grain, key <see cref="Key"/>): each scope of
/// part of the mesh registers while it is active and renews its registration, and every member
/// cluster's <see cref="IClusterGrain"/> hands its change batches to the scopes listed here.
/// </summary>
public interface IScopeDirectoryGrain : IGrainWithStringKey
{
    /// <summary>The key of the one directory.</summary>
    public const string Key = "sidecar";

    /// <summary>Registers <paramref name="scope"/>, or renews (and updates) its registration.</summary>
    Task RegisterAsync(RegisteredScope scope);

    /// <summary>Ends the registration of <paramref name="scope"/>.</summary>
    Task UnregisterAsync(string scope);

    /// <summary>The registered scopes whose registration has not expired, in ordinal order.</summary>
    Task<IReadOnlyList<RegisteredScope>> GetScopesAsync();
}
