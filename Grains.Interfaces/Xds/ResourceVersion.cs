using System.Security.Cryptography;

namespace Mesh.Orleans.Grains.Interfaces.Xds;

/// <summary>
/// Content-derived versions: the first 64 bits of the SHA-256 of a resource's bytes, in hex.
/// Two silos, two frontends or a restarted process compute the same version for the same
/// bytes, which is what lets a reconnecting client skip what it already holds.
/// </summary>
public static class ResourceVersion
{
    /// <summary>The version of one resource's serialised bytes.</summary>
    public static string Of(ReadOnlySpan<byte> payload)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(payload, hash);
        return Convert.ToHexStringLower(hash[..8]);
    }

    /// <summary>
    /// The version of a set of resources, from their names and versions in ordinal order;
    /// used as a SotW <c>version_info</c>.
    /// </summary>
    public static string OfSet(IEnumerable<(string Name, string Version)> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, version) in resources.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
            hash.AppendData([0]);
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(version));
            hash.AppendData([0]);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset().AsSpan(0, 8));
    }
}
