namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>
/// A patch value converted to the project's Envoy types when the EnvoyFilter was read: the
/// message as protobuf's canonical JSON (field names as the protos spell them, every
/// <c>@type</c> one of the project's types), which parses back to the same message. JSON rather
/// than bytes so that it crosses grains as a string, reads in a debug dump, and hashes the same
/// in every process; the patch engine parses it once per application.
/// </summary>
/// <param name="Json">The message as canonical JSON.</param>
/// <param name="MessageType">The full name of the message (<c>envoy.config.listener.v3.Filter</c> for a NETWORK_FILTER patch).</param>
/// <param name="TypedConfigType">The full name of the message in the value's own <c>typed_config</c>, when it has one (<c>envoy.extensions.filters.http.lua.v3.Lua</c>).</param>
[GenerateSerializer, Immutable]
public sealed record EnvoyFilterValue(
    [property: Id(0)] string Json,
    [property: Id(1)] string MessageType,
    [property: Id(2)] string? TypedConfigType);
