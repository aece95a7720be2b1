namespace Mesh.Orleans.Grains;

/// <summary>
/// What a ScopeGrain persists: which hostnames it sees (a whole-mesh scope), or which
/// Sidecar and EnvoyFilters applied last (a sidecar scope, so that after a silo restart it serves
/// as before while its member cluster has not heard from its source yet). The resources themselves
/// are derived data, fetched again when the scope activates, so a change never pays for writing
/// the whole scope.
/// </summary>
[GenerateSerializer]
public sealed class ScopeGrainState
{
    /// <summary>The hostnames whose resources the scope holds.</summary>
    [Id(0)]
    public HashSet<string> Hostnames { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A sidecar scope's last Sidecar and EnvoyFilters, or null.</summary>
    [Id(1)]
    public Interfaces.Model.SidecarChoice? Choice { get; set; }

    /// <summary>Whether a whole-mesh scope's grain has been told its part of the mesh (even an empty one).</summary>
    [Id(2)]
    public bool Loaded { get; set; }

    /// <summary>
    /// The frontends subscribed to the scope: a new activation (its silo died, or it was
    /// collected) tells each at once that the scope has a new generation, so they resync now
    /// rather than at their next renewal.
    /// </summary>
    [Id(3)]
    public HashSet<Interfaces.IScopeObserver> Observers { get; set; } = [];
}
