using System.Net;
using Envoy.Config.Core.V3;

namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>Address-in-prefix tests for Envoy's <c>CidrRange</c>.</summary>
internal static class Cidr
{
    /// <summary>
    /// The prefix length of the longest of <paramref name="ranges"/> that holds <paramref name="address"/>,
    /// or null when none does (or the address is not an IP).
    /// </summary>
    public static int? LongestMatch(IEnumerable<CidrRange> ranges, string address)
    {
        if (!IPAddress.TryParse(address, out var ip))
        {
            return null;
        }

        int? best = null;
        foreach (var range in ranges)
        {
            var length = (int)(range.PrefixLen ?? 0);
            if (Contains(range.AddressPrefix, length, ip) && (best is null || length > best))
            {
                best = length;
            }
        }

        return best;
    }

    /// <summary>Whether <paramref name="ip"/> lies in <paramref name="prefix"/>/<paramref name="length"/>.</summary>
    public static bool Contains(string prefix, int length, IPAddress ip)
    {
        if (!IPAddress.TryParse(prefix, out var network))
        {
            throw new ArgumentException($"CidrRange address_prefix '{prefix}' is not an IP address", nameof(prefix));
        }

        if (network.AddressFamily != ip.AddressFamily)
        {
            return false;
        }

        var a = network.GetAddressBytes();
        var b = ip.GetAddressBytes();
        if (length < 0 || length > a.Length * 8)
        {
            throw new ArgumentException($"CidrRange prefix_len {length} is out of range for {prefix}", nameof(length));
        }

        for (var bit = 0; bit < length; bit++)
        {
            var mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (b[bit / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }
}
