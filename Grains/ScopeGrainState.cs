namespace Mesh.Orleans.Grains;

/// <summary>
/// What a ScopeGrain persists: only which hostnames it sees. The resources themselves are
/// derived data, fetched again from the ServiceGrains when the scope activates, so a change
/// never pays for writing the whole scope.
/// </summary>
[GenerateSerializer]
public sealed class ScopeGrainState
{
    /// <summary>The hostnames whose resources the scope holds.</summary>
    [Id(0)]
    public HashSet<string> Hostnames { get; set; } = new(StringComparer.Ordinal);
}
