using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>
/// Stamps the EndpointSlices of a parsed file with the member cluster (and network) they were
/// read from, once per parse, so their endpoints carry it into EDS and an unchanged object keeps
/// its instance.
/// </summary>
public static class SliceOrigin
{
    /// <summary><paramref name="file"/> with each EndpointSlice stamped.</summary>
    public static ParsedFile Stamp(ParsedFile file, string memberClusterId, string? network)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.Documents.Any(d => d.Value is MeshEndpointSlice))
        {
            return file;
        }

        return file with { Documents = file.Documents.Select(d => Stamp(d, memberClusterId, network)).ToList() };
    }

    /// <summary><paramref name="document"/> stamped when it is an EndpointSlice; itself otherwise.</summary>
    public static ParsedDocument Stamp(ParsedDocument document, string memberClusterId, string? network)
    {
        ArgumentNullException.ThrowIfNull(document);
        return document.Value is MeshEndpointSlice slice
            ? document with { Value = slice with { MemberClusterId = memberClusterId, Network = network } }
            : document;
    }
}
