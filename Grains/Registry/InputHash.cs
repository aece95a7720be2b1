using System.Security.Cryptography;
using System.Text.Json;

namespace Mesh.Orleans.Grains.Registry;

/// <summary>
/// A content hash of an input record, so a grain can tell whether a hostname's input
/// changed without keeping (or comparing) the whole previous input.
/// </summary>
public static class InputHash
{
    /// <summary>The hash of <paramref name="value"/>'s JSON form.</summary>
    public static string Of<T>(T value)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value);
        return Convert.ToHexStringLower(SHA256.HashData(json));
    }
}
