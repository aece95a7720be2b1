namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// Everything one member cluster declares, as its source read it: the valid objects
/// (with last good versions standing in for invalid ones) and the rejections.
/// A full read; sources hand the mesh <see cref="ClusterChanges"/> made from it.
/// </summary>
/// <param name="Services">The Services, by hostname.</param>
/// <param name="EndpointSlices">The EndpointSlices, by namespace and name.</param>
/// <param name="VirtualServices">The VirtualServices, by namespace and name.</param>
/// <param name="Rejected">The rejections.</param>
/// <param name="DestinationRules">The DestinationRules, by namespace and name; null reads as none.</param>
/// <param name="Pods">The Pods (their labels), by namespace and name; null reads as none.</param>
/// <param name="Gateways">The Gateways, by namespace and name; null reads as none.</param>
/// <param name="ServiceEntries">The ServiceEntries, by namespace and name; null reads as none.</param>
/// <param name="Sidecars">The Sidecars, by namespace and name; null reads as none.</param>
/// <param name="EnvoyFilters">The EnvoyFilters, by namespace and name; null reads as none.</param>
/// <param name="PeerAuthentications">The PeerAuthentications, by namespace and name; null reads as none.</param>
/// <param name="AuthorizationPolicies">The AuthorizationPolicies, by namespace and name; null reads as none.</param>
/// <param name="Secrets">The Secrets that hold TLS credentials, by namespace and name; null reads as none.</param>
[GenerateSerializer, Immutable]
public sealed record ClusterConfig(
    [property: Id(0)] IReadOnlyList<MeshService> Services,
    [property: Id(1)] IReadOnlyList<MeshEndpointSlice> EndpointSlices,
    [property: Id(2)] IReadOnlyList<VirtualServiceSpec> VirtualServices,
    [property: Id(3)] IReadOnlyList<RejectedObject> Rejected,
    [property: Id(4)] IReadOnlyList<DestinationRuleSpec>? DestinationRules = null,
    [property: Id(5)] IReadOnlyList<MeshPod>? Pods = null,
    [property: Id(6)] IReadOnlyList<GatewaySpec>? Gateways = null,
    [property: Id(7)] IReadOnlyList<ServiceEntrySpec>? ServiceEntries = null,
    [property: Id(8)] IReadOnlyList<SidecarSpec>? Sidecars = null,
    [property: Id(9)] IReadOnlyList<EnvoyFilterSpec>? EnvoyFilters = null,
    [property: Id(10)] IReadOnlyList<PeerAuthenticationSpec>? PeerAuthentications = null,
    [property: Id(11)] IReadOnlyList<AuthorizationPolicySpec>? AuthorizationPolicies = null,
    [property: Id(12)] IReadOnlyList<MeshSecret>? Secrets = null)
{
    /// <summary>A cluster that declares nothing.</summary>
    public static ClusterConfig Empty { get; } = new([], [], [], []);

    /// <summary>
    /// The declaration of <paramref name="objects"/> (Services by hostname; slices, VirtualServices,
    /// DestinationRules, Pods, Gateways, ServiceEntries and Sidecars by namespace and name; anything else is left out) with <paramref name="rejected"/>.
    /// </summary>
    public static ClusterConfig Of(IEnumerable<object> objects, IReadOnlyList<RejectedObject> rejected)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var values = objects.ToList();
        return new ClusterConfig(
            values.OfType<MeshService>().OrderBy(s => s.Hostname, StringComparer.Ordinal).ToList(),
            values.OfType<MeshEndpointSlice>().OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList(),
            values.OfType<VirtualServiceSpec>().OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList(),
            rejected,
            values.OfType<DestinationRuleSpec>().OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList(),
            values.OfType<MeshPod>().OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList(),
            values.OfType<GatewaySpec>().OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList(),
            values.OfType<ServiceEntrySpec>().OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList())
        {
            Sidecars = values.OfType<SidecarSpec>().OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList(),
            EnvoyFilters = values.OfType<EnvoyFilterSpec>().OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList(),
            PeerAuthentications = values.OfType<PeerAuthenticationSpec>().OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList(),
            AuthorizationPolicies = values.OfType<AuthorizationPolicySpec>().OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList(),
            Secrets = values.OfType<MeshSecret>().OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList(),
        };
    }
}
