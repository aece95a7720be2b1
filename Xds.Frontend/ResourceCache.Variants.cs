using System.Collections.Concurrent;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// Locality variants of ClusterLoadAssignments. A proxy that says where it is sees the
/// endpoints in failover priorities (<see cref="LocalityPriorities"/>), so what it is sent
/// depends on its locality; serialise-once still holds because each variant is built once per
/// (resource version, locality) that streams ask for, with its own <see cref="Any"/> and its own
/// content-hash version, and every stream of that locality sends the same instance.
/// </summary>
/// <remarks>
/// A variant belongs to one resource version: the variants of a name are kept together with the
/// version they were built from, and dropped as soon as the cache moves that name on (changed or
/// removed), so the table never holds more than one version per name. A proxy's locality is
/// keyed only by what decides its priorities for that resource (whether its region and its zone
/// are among the resource's own, and, under a <c>localityLbSetting.failover</c>, which of the
/// resource's regions its region fails over to), so arbitrary localities cannot grow the table
/// beyond the resource's own localities and failover targets plus one. The setting itself comes
/// with the resource (<see cref="CachedResource.LocalityLb"/>) and is part of its version, so one
/// variant set never mixes two settings; <c>enabled: false</c> sends every proxy the resource itself.
/// </remarks>
public sealed partial class ResourceCache
{
    private readonly ConcurrentDictionary<string, VariantSet> _variants = new(StringComparer.Ordinal);
    private long _variantsBuilt;

    /// <summary>How many locality variants this cache has built (each one parse, re-prioritisation and serialisation).</summary>
    public long VariantsBuilt => Interlocked.Read(ref _variantsBuilt);

    /// <summary>How many locality variants the cache holds now, over all ClusterLoadAssignments.</summary>
    public int VariantCount => _variants.Values.Sum(v => v.Count);

    /// <summary>
    /// <paramref name="resource"/> as a proxy in <paramref name="locality"/> is to be sent it: for
    /// a ClusterLoadAssignment and a known locality, the shared variant with the priorities of
    /// that locality under the resource's locality setting (the resource itself when they come
    /// out the same, or when the setting turns priorities off); otherwise the resource.
    /// </summary>
    public CachedResource ForLocality(CachedResource resource, Locality? locality)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource.TypeUrl != TypeUrls.ClusterLoadAssignment || !LocalityPriorities.IsKnown(locality) || LocalityPriorities.IsDisabled(resource.LocalityLb))
        {
            return resource;
        }

        var owner = VariantOwner(resource);
        if (!ReferenceEquals(owner, this))
        {
            return owner.ForLocality(resource, locality);
        }

        if (!_variants.TryGetValue(resource.Name, out var set) || set.Base.Version != resource.Version)
        {
            set = new VariantSet(resource);
            if (IsCurrent(resource))
            {
                set = _variants.AddOrUpdate(resource.Name, set, (_, existing) => existing.Base.Version == resource.Version ? existing : set);

                // The cache may have moved on between the check and the insertion; then its
                // clean-up may have run before the insertion, so drop the set here instead.
                if (!IsCurrent(resource))
                {
                    _variants.TryRemove(new KeyValuePair<string, VariantSet>(resource.Name, set));
                }
            }

            // Otherwise the stream works from a view the cache has already left: it is served
            // from a set of its own that nothing keeps, and gets the current version next push.
        }

        return set.Get(locality!, this);
    }

    private bool IsCurrent(CachedResource resource) =>
        _view.Of(resource.TypeUrl).TryGetValue(resource.Name, out var current) && current.Version == resource.Version;

    /// <summary>Drops the variants of <paramref name="names"/> that no longer belong to the current version. Called under the gate.</summary>
    private void DropSupersededVariants(IEnumerable<string> names)
    {
        var current = _view.Of(TypeUrls.ClusterLoadAssignment);
        foreach (var name in names)
        {
            if (_variants.TryGetValue(name, out var set) && (!current.TryGetValue(name, out var resource) || resource.Version != set.Base.Version))
            {
                _variants.TryRemove(new KeyValuePair<string, VariantSet>(name, set));
            }
        }
    }

    private CachedResource BuildVariant(CachedResource resource, Locality locality)
    {
        Interlocked.Increment(ref _variantsBuilt);
        var original = ClusterLoadAssignment.Parser.ParseFrom(resource.Any.Value);
        var assignment = LocalityPriorities.Apply(original, locality, resource.LocalityLb);
        if (assignment.Equals(original))
        {
            // The same priorities as everyone's (one level present): share the resource itself.
            return resource;
        }

        var payload = assignment.ToByteArray();
        var version = ResourceVersion.Of(payload);

        var any = new Any { TypeUrl = resource.TypeUrl, Value = UnsafeByteOperations.UnsafeWrap(payload) };
        return new CachedResource(resource.TypeUrl, resource.Name, version, any);
    }

    /// <summary>
    /// What of a proxy's locality decides its priorities for one resource: its region when some
    /// endpoints share it (else null), its zone when some endpoints share region and zone, and the
    /// region its region fails over to when some endpoints are there (else null).
    /// </summary>
    private readonly record struct VariantKey(string? Region, string? Zone, string? FailoverTo);

    /// <summary>The variants of one ClusterLoadAssignment version, by the locality key they were built for.</summary>
    private sealed class VariantSet
    {
        private readonly Dictionary<VariantKey, CachedResource> _byLocality = [];
        private readonly HashSet<string> _regions = new(StringComparer.Ordinal);
        private readonly HashSet<(string Region, string Zone)> _zones = [];

        public VariantSet(CachedResource resource)
        {
            Base = resource;
            foreach (var endpoints in ClusterLoadAssignment.Parser.ParseFrom(resource.Any.Value).Endpoints)
            {
                var region = endpoints.Locality?.Region ?? string.Empty;
                _regions.Add(region);
                _zones.Add((region, endpoints.Locality?.Zone ?? string.Empty));
            }
        }

        public CachedResource Base { get; }

        public int Count
        {
            get
            {
                lock (_byLocality)
                {
                    return _byLocality.Count;
                }
            }
        }

        public CachedResource Get(Locality locality, ResourceCache cache)
        {
            if (Base.LocalityLb is { Distributes: true } weights)
            {
                // Under locality weights the result depends only on which entry names the proxy.
                var entry = -1;
                for (var i = 0; i < weights.Distribute!.Count && entry < 0; i++)
                {
                    entry = LocalityPriorities.Matches(locality, weights.Distribute[i].From) ? i : -1;
                }

                if (entry < 0)
                {
                    return Base;
                }

                lock (_byLocality)
                {
                    var byEntry = new VariantKey(null, null, "distribute:" + entry.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    if (!_byLocality.TryGetValue(byEntry, out var weighted))
                    {
                        weighted = cache.BuildVariant(Base, locality);
                        _byLocality.Add(byEntry, weighted);
                    }

                    return weighted;
                }
            }

            var regionMatches = _regions.Contains(locality.Region);
            var failoverTo = Base.LocalityLb?.FailoverFor(locality.Region);
            var key = new VariantKey(
                regionMatches ? locality.Region : null,
                regionMatches && _zones.Contains((locality.Region, locality.Zone)) ? locality.Zone : null,
                failoverTo is not null && _regions.Contains(failoverTo) ? failoverTo : null);
            if (key.Region is null && key.FailoverTo is null)
            {
                // No endpoint shares the proxy's region or its failover region: every locality is
                // at one level, so the proxy sees the single priority everyone without a locality sees.
                return Base;
            }

            // One build per key however many streams ask at once; the build is short and per name.
            lock (_byLocality)
            {
                if (!_byLocality.TryGetValue(key, out var variant))
                {
                    variant = cache.BuildVariant(Base, new Locality { Region = locality.Region, Zone = key.Zone ?? locality.Zone });
                    _byLocality.Add(key, variant);
                }

                return variant;
            }
        }
    }
}
