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
    /// The version of a set of resources (a SotW <c>version_info</c>): the sum of a 64-bit
    /// FNV-1a hash of each resource's name and version. Order-independent, so no sort; cheap
    /// and allocation-free, since every stream computes it for its own subscription on every
    /// push; and content-derived, so every process computes the same value for the same set.
    /// </summary>
    public static string OfSet(IEnumerable<(string Name, string Version)> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ulong sum = 0;
        foreach (var (name, version) in resources)
        {
            sum += HashOf(name, version);
        }

        return OfSum(sum);
    }

    /// <summary>
    /// The version of a set whose <see cref="HashOf"/> values add up to <paramref name="sum"/>:
    /// a set's version kept up to date by adding and subtracting the hashes of what changes
    /// equals <see cref="OfSet"/> of the whole set.
    /// </summary>
    public static string OfSum(ulong sum) => sum.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>One resource's share of <see cref="OfSet"/>.</summary>
    public static ulong HashOf(string name, string version)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(version);
        return Fnv1a(name, version);
    }

    private static ulong Fnv1a(string name, string version)
    {
        const ulong offset = 14695981039346656037;
        const ulong prime = 1099511628211;
        var hash = offset;
        foreach (var c in name)
        {
            hash = (hash ^ c) * prime;
        }

        hash = (hash ^ 0xFFFF) * prime;
        foreach (var c in version)
        {
            hash = (hash ^ c) * prime;
        }

        // A final mix, so that sums of nearby values do not cancel out.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccd;
        hash ^= hash >> 33;
        return hash;
    }
}
