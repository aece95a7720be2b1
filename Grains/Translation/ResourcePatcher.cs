using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Google.Protobuf;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// Applies EnvoyFilters to serialised resources, as a scope or a workload serves them: the
/// listeners, route configurations and clusters are read, patched by
/// <see cref="EnvoyFilterPatcher"/>, and written again; a resource the patches leave equal is
/// kept as it was (the same bytes and version, so nothing is sent again and it stays shared);
/// every other resource (endpoints, internal ones) passes through. Pure.
/// </summary>
public static class ResourcePatcher
{
    /// <summary>The patched resources and the problems of the patches.</summary>
    public static (List<XdsResource> Resources, IReadOnlyList<EnvoyFilterProblem> Problems) Patch(
        IEnumerable<XdsResource> resources,
        IReadOnlyList<EnvoyFilterSpec> filters,
        PatchContext context)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(filters);
        ArgumentNullException.ThrowIfNull(context);
        var passed = new List<XdsResource>();
        var originals = new Dictionary<ResourceKey, XdsResource>();
        var listeners = new List<Listener>();
        var routes = new List<RouteConfiguration>();
        var clusters = new List<Cluster>();
        foreach (var resource in resources)
        {
            switch (resource.TypeUrl)
            {
                case TypeUrls.Listener:
                    listeners.Add(Listener.Parser.ParseFrom(resource.Payload));
                    originals[resource.Key] = resource;
                    break;
                case TypeUrls.RouteConfiguration:
                    routes.Add(RouteConfiguration.Parser.ParseFrom(resource.Payload));
                    originals[resource.Key] = resource;
                    break;
                case TypeUrls.Cluster:
                    clusters.Add(Cluster.Parser.ParseFrom(resource.Payload));
                    originals[resource.Key] = resource;
                    break;
                default:
                    passed.Add(resource);
                    break;
            }
        }

        var result = EnvoyFilterPatcher.Apply(context, filters, listeners, routes, clusters);
        var audience = originals.Values.FirstOrDefault()?.Audience ?? ResourceAudience.Sidecar;
        passed.AddRange(result.Listeners.Select(l => Repack(TypeUrls.Listener, l.Name, l, originals, audience)));
        passed.AddRange(result.RouteConfigurations.Select(r => Repack(TypeUrls.RouteConfiguration, r.Name, r, originals, audience)));
        passed.AddRange(result.Clusters.Select(c => Repack(TypeUrls.Cluster, c.Name, c, originals, audience)));

        // Two objects of one name (an addition of a name that exists): the first stays, as Envoy keeps one.
        return (passed.DistinctBy(r => r.Key).ToList(), result.Problems);
    }

    private static XdsResource Repack(string typeUrl, string name, IMessage message, Dictionary<ResourceKey, XdsResource> originals, ResourceAudience audience)
    {
        var payload = message.ToByteArray();
        if (originals.TryGetValue(new ResourceKey(typeUrl, name), out var original) && original.Payload.AsSpan().SequenceEqual(payload))
        {
            return original;
        }

        return new XdsResource(typeUrl, name, ResourceVersion.Of(payload), payload, original?.Audience ?? audience, original?.LocalityLb);
    }
}
