namespace Mesh.Orleans.Grains.Interfaces.MemberClusters;

/// <summary>Where the watch of one member cluster stands, for <c>/debug/clusterz</c>.</summary>
/// <param name="Id">The member cluster id.</param>
/// <param name="Source">Where it is read from: the kubeconfig file, or "in-cluster".</param>
/// <param name="Connected">True while the API server answers.</param>
/// <param name="LastContact">When the API server last answered (a list, a watch event or a bookmark).</param>
/// <param name="LastEvent">When the last object change arrived.</param>
/// <param name="ObjectsPerKind">Objects held per kind.</param>
/// <param name="Rejected">How many objects are rejected.</param>
/// <param name="Error">Why it is not connected, or a kind that is not installed.</param>
/// <param name="Host">The silo running the watch: its Orleans silo address (<c>SiloAddress.ToString()</c>).</param>
/// <param name="Kinds">Per kind: watching, listing, not installed, failing.</param>
/// <param name="Ignored">Objects read that apply to nothing, as "Kind namespace/name: reason".</param>
[GenerateSerializer, Immutable]
public sealed record MemberClusterStatus(
    [property: Id(0)] string Id,
    [property: Id(1)] string Source,
    [property: Id(2)] bool Connected,
    [property: Id(3)] DateTimeOffset? LastContact,
    [property: Id(4)] DateTimeOffset? LastEvent,
    [property: Id(5)] IReadOnlyDictionary<string, int> ObjectsPerKind,
    [property: Id(6)] int Rejected,
    [property: Id(7)] string? Error,
    [property: Id(8)] string Host,
    [property: Id(9)] IReadOnlyDictionary<string, string> Kinds,
    [property: Id(10)] IReadOnlyList<string>? Ignored = null);
