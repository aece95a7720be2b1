namespace Mesh.Orleans.Grains.Translation;

/// <summary>Why one patch of an EnvoyFilter did not change a proxy's configuration, or changed less than it says.</summary>
/// <param name="Namespace">The EnvoyFilter's namespace.</param>
/// <param name="Name">The EnvoyFilter's name.</param>
/// <param name="Patch">The index of the patch in <c>spec.configPatches</c>.</param>
/// <param name="Reason">What happened, naming the resource.</param>
public sealed record EnvoyFilterProblem(string Namespace, string Name, int Patch, string Reason)
{
    /// <summary>The problem as a warning on its EnvoyFilter, as <c>/debug/config</c> lists it.</summary>
    public Interfaces.Model.ConfigWarning ToWarning() => new("EnvoyFilter", Namespace, Name, $"spec.configPatches[{Patch}]", Reason);

    /// <inheritdoc/>
    public override string ToString() => $"EnvoyFilter {Namespace}/{Name} configPatches[{Patch}]: {Reason}";
}
