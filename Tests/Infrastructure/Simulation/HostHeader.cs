namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>Host header helpers.</summary>
internal static class HostHeader
{
    /// <summary><paramref name="host"/> without a trailing <c>:port</c> (an IPv6 literal keeps its brackets).</summary>
    public static string StripPort(string host)
    {
        var colon = host.LastIndexOf(':');
        if (colon < 0 || (host.StartsWith('[') && host.LastIndexOf(']') > colon))
        {
            return host;
        }

        return host[(colon + 1)..].All(char.IsAsciiDigit) ? host[..colon] : host;
    }
}
