namespace Mesh.Orleans.Tests.Golden;

/// <summary>
/// The golden tests start a control plane per scenario, one after another; they run apart from
/// the other test classes (after them) so that their silo start-ups do not load the machine while
/// timing-sensitive tests elsewhere run.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GoldenCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Golden";
}
