namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>One endpoint of an EndpointSlice.</summary>
/// <param name="Addresses">IP addresses; Kubernetes treats them as fungible, the mesh uses the first.</param>
/// <param name="Ready">conditions.ready; a missing condition counts as ready, as Kubernetes specifies.</param>
/// <param name="Serving">conditions.serving (defaults to <paramref name="Ready"/>).</param>
/// <param name="Terminating">conditions.terminating.</param>
/// <param name="Zone">The zone, or a <c>region/zone/subzone</c> triple; null when unknown.</param>
/// <param name="NodeName">The node, or null.</param>
/// <param name="TargetRef">The backing object as <c>Kind/namespace/name</c>, or null.</param>
/// <param name="Labels">
/// The labels of the Pod <paramref name="TargetRef"/> names, joined in by the registry when the
/// host has DestinationRule subsets to select by them; null otherwise (as a source reads it).
/// </param>
/// <param name="TlsMode">
/// <c>istio</c> when the endpoint's pod takes mesh mutual TLS (labelled
/// <c>security.istio.io/tlsMode: istio</c> and not DISABLEd by its PeerAuthentications), joined in
/// by the registry; auto mutual TLS sends TLS to such endpoints only. Null otherwise.
/// </param>
/// <param name="Identity">The SPIFFE identity of the endpoint's pod (from its service account), joined in by the registry; null when unknown.</param>
/// <param name="PlaintextPorts">Ports of a <paramref name="TlsMode"/> endpoint whose PeerAuthentication disables mutual TLS on them.</param>
[GenerateSerializer, Immutable]
public sealed record SliceEndpoint(
    [property: Id(0)] IReadOnlyList<string> Addresses,
    [property: Id(1)] bool Ready,
    [property: Id(2)] bool Serving,
    [property: Id(3)] bool Terminating,
    [property: Id(4)] string? Zone,
    [property: Id(5)] string? NodeName,
    [property: Id(6)] string? TargetRef,
    [property: Id(7)] IReadOnlyDictionary<string, string>? Labels = null,
    [property: Id(8)] string? TlsMode = null,
    [property: Id(9)] IReadOnlyList<int>? PlaintextPorts = null,
    [property: Id(10)] string? Identity = null);
