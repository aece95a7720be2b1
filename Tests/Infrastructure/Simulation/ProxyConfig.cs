using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>
/// The configuration one proxy holds: its Listeners, RouteConfigurations, Clusters and
/// ClusterLoadAssignments, each by name. Built from hand-made messages, from the
/// DiscoveryResponses a test client received (a later response's resource replaces an earlier
/// one of the same name, as Envoy applies updates), or from the XdsResources a scope serves.
/// </summary>
public sealed class ProxyConfig
{
    private readonly Dictionary<string, Listener> _listeners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RouteConfiguration> _routes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Cluster> _clusters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ClusterLoadAssignment> _assignments = new(StringComparer.Ordinal);

    /// <summary>A proxy holding the given resources; two of one type with the same name are an error naming it.</summary>
    public ProxyConfig(
        IEnumerable<Listener>? listeners = null,
        IEnumerable<RouteConfiguration>? routes = null,
        IEnumerable<Cluster>? clusters = null,
        IEnumerable<ClusterLoadAssignment>? assignments = null)
    {
        AddAll(_listeners, listeners, l => l.Name, "Listener");
        AddAll(_routes, routes, r => r.Name, "RouteConfiguration");
        AddAll(_clusters, clusters, c => c.Name, "Cluster");
        AddAll(_assignments, assignments, a => a.ClusterName, "ClusterLoadAssignment");
    }

    /// <summary>The listeners, in the order they were given.</summary>
    public IReadOnlyCollection<Listener> Listeners => _listeners.Values;

    /// <summary>The RouteConfigurations by name.</summary>
    public IReadOnlyDictionary<string, RouteConfiguration> Routes => _routes;

    /// <summary>The clusters by name.</summary>
    public IReadOnlyDictionary<string, Cluster> Clusters => _clusters;

    /// <summary>The ClusterLoadAssignments by cluster (or EDS service) name.</summary>
    public IReadOnlyDictionary<string, ClusterLoadAssignment> Assignments => _assignments;

    /// <summary>
    /// The resources of <paramref name="responses"/>, in order: a later response's resource
    /// replaces an earlier one of the same type and name. A response of another type than the
    /// four, or a resource whose type differs from its response's, is an error naming it.
    /// </summary>
    public static ProxyConfig FromResponses(IEnumerable<DiscoveryResponse> responses)
    {
        ArgumentNullException.ThrowIfNull(responses);
        var config = new ProxyConfig();
        foreach (var response in responses)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var resource in response.Resources)
            {
                if (resource.TypeUrl != response.TypeUrl)
                {
                    throw new ArgumentException($"A resource of type {resource.TypeUrl} in a response of type {response.TypeUrl} (version {response.VersionInfo})", nameof(responses));
                }

                var name = config.Add(response.TypeUrl, resource.Value);
                if (!seen.Add(name))
                {
                    throw new ArgumentException($"The response of type {response.TypeUrl} (version {response.VersionInfo}) holds {name} twice", nameof(responses));
                }
            }
        }

        return config;
    }

    /// <summary>
    /// The Envoy resources among <paramref name="resources"/> (a scope's output); the project's
    /// internal types (such as virtual host pieces) are not sent to proxies and are skipped.
    /// Two resources of one type and name are an error naming them.
    /// </summary>
    public static ProxyConfig FromResources(IEnumerable<XdsResource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var config = new ProxyConfig();
        var seen = new HashSet<ResourceKey>();
        foreach (var resource in resources.Where(r => TypeUrls.IsKnown(r.TypeUrl)))
        {
            if (!seen.Add(resource.Key))
            {
                throw new ArgumentException($"Two resources of type {resource.TypeUrl} are named {resource.Name}", nameof(resources));
            }

            config.Add(resource.TypeUrl, ByteString.CopyFrom(resource.Payload));
        }

        return config;
    }

    private string Add(string typeUrl, ByteString bytes)
    {
        switch (typeUrl)
        {
            case TypeUrls.Listener:
                var listener = Listener.Parser.ParseFrom(bytes);
                _listeners[listener.Name] = listener;
                return listener.Name;
            case TypeUrls.RouteConfiguration:
                var route = RouteConfiguration.Parser.ParseFrom(bytes);
                _routes[route.Name] = route;
                return route.Name;
            case TypeUrls.Cluster:
                var cluster = Cluster.Parser.ParseFrom(bytes);
                _clusters[cluster.Name] = cluster;
                return cluster.Name;
            case TypeUrls.ClusterLoadAssignment:
                var assignment = ClusterLoadAssignment.Parser.ParseFrom(bytes);
                _assignments[assignment.ClusterName] = assignment;
                return assignment.ClusterName;
            default:
                throw new ArgumentException($"Type {typeUrl} is not one a proxy holds (LDS, RDS, CDS, EDS)", nameof(typeUrl));
        }
    }

    private static void AddAll<T>(Dictionary<string, T> into, IEnumerable<T>? items, Func<T, string> name, string kind)
    {
        foreach (var item in items ?? [])
        {
            ArgumentNullException.ThrowIfNull(item);
            if (!into.TryAdd(name(item), item))
            {
                throw new ArgumentException($"Two {kind}s are named '{name(item)}'", kind);
            }
        }
    }
}
