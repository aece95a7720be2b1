using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// Merges a root VirtualService's HTTP route that names a <c>delegate</c> with the delegate
/// VirtualService's routes, as Istio does (pilot/pkg/model/virtualservice.go): each delegate
/// route's matches are narrowed by the root's (a delegate match that contradicts every root
/// match makes that delegate route unreachable, so it is left out), and what the delegate
/// route does not set it takes from the root.
/// </summary>
public static class VirtualServiceDelegates
{
    /// <summary>The routes that replace <paramref name="root"/>: one per delegate route whose matches fit the root's.</summary>
    public static IReadOnlyList<HttpRouteSpec> Merge(HttpRouteSpec root, IReadOnlyList<HttpRouteSpec> delegated)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(delegated);
        var merged = new List<HttpRouteSpec>(delegated.Count);
        foreach (var route in delegated)
        {
            if (MergeMatches(root.Match, route.Match) is not { } matches)
            {
                continue;
            }

            merged.Add(route with
            {
                Match = matches,
                Name = string.IsNullOrEmpty(route.Name) ? root.Name : string.IsNullOrEmpty(root.Name) ? route.Name : root.Name + "-" + route.Name,
                Rewrite = route.Rewrite ?? root.Rewrite,
                DirectResponse = route.DirectResponse ?? root.DirectResponse,
                Timeout = route.Timeout ?? root.Timeout,
                Retries = route.Retries ?? root.Retries,
                Fault = route.Fault ?? root.Fault,
                Mirrors = route.Mirrors ?? root.Mirrors,
                CorsPolicy = route.CorsPolicy ?? root.CorsPolicy,
                Headers = route.Headers ?? root.Headers,
                Delegate = null,
            });
        }

        return merged;
    }

    /// <summary>The merged matches, or null when no delegate match fits any root match.</summary>
    private static List<HttpMatchSpec>? MergeMatches(IReadOnlyList<HttpMatchSpec> root, IReadOnlyList<HttpMatchSpec> delegated)
    {
        if (root.Count == 0)
        {
            return delegated.ToList();
        }

        if (delegated.Count == 0)
        {
            return root.ToList();
        }

        var merged = new List<HttpMatchSpec>();
        foreach (var leaf in delegated)
        {
            var fits = root.Where(r => !Conflicts(r, leaf)).ToList();
            if (fits.Count == 0)
            {
                return null;
            }

            merged.AddRange(fits.Select(r => Merge(r, leaf)));
        }

        return merged;
    }

    private static HttpMatchSpec Merge(HttpMatchSpec root, HttpMatchSpec leaf) => leaf with
    {
        Name = string.IsNullOrEmpty(leaf.Name) ? root.Name : string.IsNullOrEmpty(root.Name) ? leaf.Name : root.Name + "-" + leaf.Name,
        Uri = leaf.Uri ?? root.Uri,
        Scheme = leaf.Scheme ?? root.Scheme,
        Method = leaf.Method ?? root.Method,
        Authority = leaf.Authority ?? root.Authority,
        Headers = MergeByName(root.Headers, leaf.Headers)!,
        WithoutHeaders = MergeByName(root.WithoutHeaders, leaf.WithoutHeaders),
        QueryParams = MergeByName(root.QueryParams, leaf.QueryParams),
        Port = leaf.Port ?? root.Port,
        SourceLabels = root.SourceLabels is null ? leaf.SourceLabels
            : leaf.SourceLabels is null ? root.SourceLabels
            : new SortedDictionary<string, string>(root.SourceLabels.Concat(leaf.SourceLabels).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value), StringComparer.Ordinal),
        SourceNamespace = leaf.SourceNamespace ?? root.SourceNamespace,
        Gateways = leaf.Gateways is { Count: > 0 } ? leaf.Gateways : root.Gateways,
        StatPrefix = leaf.StatPrefix ?? root.StatPrefix,
    };

    /// <summary>Both lists by name, the delegate's entry winning, sorted by name.</summary>
    private static IReadOnlyList<HeaderMatchSpec>? MergeByName(IReadOnlyList<HeaderMatchSpec>? root, IReadOnlyList<HeaderMatchSpec>? leaf)
    {
        if (root is null || root.Count == 0)
        {
            return leaf;
        }

        if (leaf is null || leaf.Count == 0)
        {
            return root;
        }

        return root.Where(r => leaf.All(l => l.Name != r.Name)).Concat(leaf).OrderBy(h => h.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether no request can satisfy both matches (Istio's hasConflict).</summary>
    private static bool Conflicts(HttpMatchSpec root, HttpMatchSpec leaf)
    {
        if (Conflicts(root.Uri, leaf.Uri) || Conflicts(root.Scheme, leaf.Scheme) || Conflicts(root.Method, leaf.Method) || Conflicts(root.Authority, leaf.Authority))
        {
            return true;
        }

        static bool ByName(IReadOnlyList<HeaderMatchSpec>? root, IReadOnlyList<HeaderMatchSpec>? leaf) =>
            (leaf ?? []).Any(l => Conflicts(root?.FirstOrDefault(r => r.Name == l.Name)?.Match, l.Match));

        if (ByName(root.Headers, leaf.Headers) || ByName(root.WithoutHeaders, leaf.WithoutHeaders) || ByName(root.QueryParams, leaf.QueryParams))
        {
            return true;
        }

        if (root.IgnoreUriCase != leaf.IgnoreUriCase
            || (root.Port is not null && leaf.Port is not null && root.Port != leaf.Port)
            || (root.SourceNamespace is not null && leaf.SourceNamespace != root.SourceNamespace))
        {
            return true;
        }

        if ((leaf.SourceLabels ?? new Dictionary<string, string>()).Any(l => root.SourceLabels?.TryGetValue(l.Key, out var v) == true && v != l.Value))
        {
            return true;
        }

        return root.Gateways is { Count: > 0 } && leaf.Gateways is { Count: > 0 } && !leaf.Gateways.All(root.Gateways.Contains);
    }

    /// <summary>Whether a leaf string match can never hold where the root's does: Istio's stringMatchConflict.</summary>
    private static bool Conflicts(StringMatchSpec? root, StringMatchSpec? leaf)
    {
        if (root is null || leaf is null || root.Kind == StringMatchKind.Present || leaf.Kind == StringMatchKind.Present)
        {
            return false;
        }

        return (root.Kind, leaf.Kind) switch
        {
            (StringMatchKind.Regex, _) or (_, StringMatchKind.Regex) => true,
            (StringMatchKind.Exact, StringMatchKind.Exact) => root.Value != leaf.Value,
            (StringMatchKind.Exact, _) => true,
            (StringMatchKind.Prefix, _) => !leaf.Value.StartsWith(root.Value, StringComparison.Ordinal),
            _ => true,
        };
    }
}
