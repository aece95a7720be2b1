namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// The identity of one object a source hands the mesh: its kind (<c>Service</c>,
/// <c>EndpointSlice</c>, <c>VirtualService</c>, <c>DestinationRule</c>, <c>ServiceEntry</c>, <c>Pod</c>), namespace and name.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record MeshObjectKey(
    [property: Id(0)] string Kind,
    [property: Id(1)] string Namespace,
    [property: Id(2)] string Name)
{
    /// <summary>
    /// The key of a mesh object (a <see cref="MeshService"/>, <see cref="MeshEndpointSlice"/>,
    /// <see cref="VirtualServiceSpec"/>, <see cref="DestinationRuleSpec"/>, <see cref="ServiceEntrySpec"/>, <see cref="MeshPod"/>, <see cref="GatewaySpec"/> or <see cref="SidecarSpec"/>).
    /// </summary>
    public static MeshObjectKey Of(object value) => value switch
    {
        MeshService service => new("Service", service.Namespace, service.Name),
        MeshEndpointSlice slice => new("EndpointSlice", slice.Namespace, slice.Name),
        VirtualServiceSpec virtualService => new("VirtualService", virtualService.Namespace, virtualService.Name),
        DestinationRuleSpec destinationRule => new("DestinationRule", destinationRule.Namespace, destinationRule.Name),
        ServiceEntrySpec entry => new("ServiceEntry", entry.Namespace, entry.Name),
        MeshPod pod => new("Pod", pod.Namespace, pod.Name),
        GatewaySpec gateway => new("Gateway", gateway.Namespace, gateway.Name),
        SidecarSpec sidecar => new("Sidecar", sidecar.Namespace, sidecar.Name),
        EnvoyFilterSpec envoyFilter => new("EnvoyFilter", envoyFilter.Namespace, envoyFilter.Name),
        PeerAuthenticationSpec peer => new("PeerAuthentication", peer.Namespace, peer.Name),
        AuthorizationPolicySpec policy => new("AuthorizationPolicy", policy.Namespace, policy.Name),
        MeshSecret secret => new("Secret", secret.Namespace, secret.Name),
        null => throw new ArgumentNullException(nameof(value)),
        _ => throw new ArgumentException($"{value.GetType().Name} is not an object the mesh routes by", nameof(value)),
    };

    /// <inheritdoc/>
    public override string ToString() => $"{Kind} {Namespace}/{Name}";
}
