namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>
/// The names the mesh serves, following Istio's conventions so that users' habits carry over.
/// </summary>
public static class MeshNames
{
    /// <summary>The Kubernetes cluster domain suffix.</summary>
    public const string DomainSuffix = "cluster.local";

    /// <summary>The cluster id Istio gives the local member cluster.</summary>
    public const string DefaultClusterId = "Kubernetes";

    /// <summary>The hostname of a Kubernetes Service: <c>name.namespace.svc.cluster.local</c>.</summary>
    public static string ServiceHostname(string name, string @namespace) => $"{name}.{@namespace}.svc.{DomainSuffix}";

    /// <summary>
    /// Resolves a host as written in an Istio resource in <paramref name="namespace"/>: a name
    /// with no dot is a short name in that namespace; anything else is taken as written (Istio's
    /// ResolveShortnameToFQDN).
    /// </summary>
    public static string ResolveHost(string host, string @namespace)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.Contains('.', StringComparison.Ordinal) || host.Contains('*', StringComparison.Ordinal)
            ? host.ToLowerInvariant()
            : ServiceHostname(host.ToLowerInvariant(), @namespace);
    }

    /// <summary>The outbound cluster name: <c>outbound|port|subset|host</c>.</summary>
    public static string OutboundCluster(string host, int port, string subset = "") => $"outbound|{port}|{subset}|{host}";

    /// <summary>The proxyless gRPC listener and route configuration name: <c>host:port</c>.</summary>
    public static string HostPort(string host, int port) => $"{host}:{port}";
}
