namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>A Gateway server host, <c>[namespace/]dnsName</c>, split in two.</summary>
/// <param name="Namespace">
/// The namespace whose VirtualServices may bind to the host: <c>*</c> for any (the default when the
/// host names none), or a namespace name (<c>.</c> is resolved to the Gateway's own namespace).
/// </param>
/// <param name="Host">The host in lower case: a DNS name, <c>*.</c> followed by one, <c>*</c>, or an IP address.</param>
[GenerateSerializer, Immutable]
public sealed record GatewayHostSpec(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Host);
