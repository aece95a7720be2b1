namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>A valid object that does not apply to the mesh's proxies (e.g. a VirtualService bound only to gateways).</summary>
public sealed record IgnoredObject(string Reason);
