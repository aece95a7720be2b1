using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Translation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Reads and validates an Istio <c>EnvoyFilter</c> (networking.istio.io v1alpha3) as Istio's
/// <c>ValidateEnvoyFilter</c> does, and converts each patch value to the project's Envoy messages
/// (<see cref="EnvoyPatchValues"/>). Stricter than Istio where Istio would accept a patch and then
/// silently do nothing with it: an applyTo the mesh does not patch (EXTENSION_CONFIG, BOOTSTRAP,
/// LISTENER_FILTER), an operation Istio's patch code ignores for its applyTo, <c>targetRefs</c>
/// and the waypoint context are refused with the reason.
/// </summary>
internal static partial class EnvoyFilterParser
{
    /// <summary>Most patches an EnvoyFilter may carry.</summary>
    public const int MaxPatches = 1000;

    /// <summary>Longest <c>match.proxy.proxyVersion</c> accepted (Istio ignores a longer one).</summary>
    public const int MaxProxyVersionLength = 1024;

    /// <summary>Most YAML nodes one patch value may expand to (aliases count each time they are used).</summary>
    public const int MaxValueNodes = 100_000;

    /// <summary>The HTTP connection manager's name, and the deprecated one Istio still matches.</summary>
    private static readonly string[] s_connectionManagerNames = ["envoy.filters.network.http_connection_manager", "envoy.http_connection_manager"];

    private static readonly HashSet<string> s_specKeys = ["workloadSelector", "targetRefs", "configPatches", "priority"];
    private static readonly HashSet<string> s_selectorKeys = ["labels"];
    private static readonly HashSet<string> s_patchKeys = ["applyTo", "match", "patch"];
    private static readonly HashSet<string> s_patchValueKeys = ["operation", "value", "filterClass"];
    private static readonly HashSet<string> s_matchKeys = ["context", "proxy", "listener", "routeConfiguration", "cluster"];
    private static readonly Dictionary<string, string> s_matchUnsupported = new()
    {
        ["waypoint"] = "waypoint matches are for ambient waypoints, which the mesh does not serve",
    };

    private static readonly HashSet<string> s_proxyKeys = ["proxyVersion", "metadata"];
    private static readonly HashSet<string> s_listenerKeys = ["portNumber", "filterChain", "name"];
    private static readonly Dictionary<string, string> s_listenerUnsupported = new()
    {
        ["portName"] = "is not used by Istio's listener match (it matches nothing); use portNumber",
        ["listenerFilter"] = "matches listener filters, for applyTo LISTENER_FILTER, which the mesh does not patch",
    };

    private static readonly HashSet<string> s_filterChainKeys = ["name", "sni", "transportProtocol", "applicationProtocols", "filter", "destinationPort"];
    private static readonly HashSet<string> s_filterKeys = ["name", "subFilter"];
    private static readonly HashSet<string> s_nameKeys = ["name"];
    private static readonly HashSet<string> s_routeConfigurationKeys = ["portNumber", "portName", "gateway", "vhost", "name"];
    private static readonly HashSet<string> s_virtualHostKeys = ["name", "domainName", "route"];
    private static readonly HashSet<string> s_routeKeys = ["name", "action"];
    private static readonly HashSet<string> s_clusterKeys = ["portNumber", "service", "subset", "name"];

    private static readonly Dictionary<string, EnvoyFilterApplyTo> s_applyTo = new(StringComparer.Ordinal)
    {
        ["LISTENER"] = EnvoyFilterApplyTo.Listener,
        ["FILTER_CHAIN"] = EnvoyFilterApplyTo.FilterChain,
        ["NETWORK_FILTER"] = EnvoyFilterApplyTo.NetworkFilter,
        ["HTTP_FILTER"] = EnvoyFilterApplyTo.HttpFilter,
        ["ROUTE_CONFIGURATION"] = EnvoyFilterApplyTo.RouteConfiguration,
        ["VIRTUAL_HOST"] = EnvoyFilterApplyTo.VirtualHost,
        ["HTTP_ROUTE"] = EnvoyFilterApplyTo.HttpRoute,
        ["CLUSTER"] = EnvoyFilterApplyTo.Cluster,
    };

    private static readonly Dictionary<string, string> s_applyToUnsupported = new(StringComparer.Ordinal)
    {
        ["EXTENSION_CONFIG"] = "EXTENSION_CONFIG patches filters served over ECDS, which the mesh does not serve",
        ["BOOTSTRAP"] = "BOOTSTRAP patches the proxy's bootstrap, which the mesh does not generate",
        ["LISTENER_FILTER"] = "LISTENER_FILTER is not supported yet; patch the listener (applyTo LISTENER, MERGE) instead",
        ["INVALID"] = "is required",
    };

    private static readonly Dictionary<string, EnvoyFilterOperation> s_operations = new(StringComparer.Ordinal)
    {
        ["MERGE"] = EnvoyFilterOperation.Merge,
        ["ADD"] = EnvoyFilterOperation.Add,
        ["REMOVE"] = EnvoyFilterOperation.Remove,
        ["INSERT_BEFORE"] = EnvoyFilterOperation.InsertBefore,
        ["INSERT_AFTER"] = EnvoyFilterOperation.InsertAfter,
        ["INSERT_FIRST"] = EnvoyFilterOperation.InsertFirst,
        ["REPLACE"] = EnvoyFilterOperation.Replace,
    };

    private static readonly Dictionary<string, EnvoyFilterContext> s_contexts = new(StringComparer.Ordinal)
    {
        ["ANY"] = EnvoyFilterContext.Any,
        ["SIDECAR_INBOUND"] = EnvoyFilterContext.SidecarInbound,
        ["SIDECAR_OUTBOUND"] = EnvoyFilterContext.SidecarOutbound,
        ["GATEWAY"] = EnvoyFilterContext.Gateway,
    };

    private static readonly Dictionary<string, EnvoyFilterRouteAction> s_actions = new(StringComparer.Ordinal)
    {
        ["ANY"] = EnvoyFilterRouteAction.Any,
        ["ROUTE"] = EnvoyFilterRouteAction.Route,
        ["REDIRECT"] = EnvoyFilterRouteAction.Redirect,
        ["DIRECT_RESPONSE"] = EnvoyFilterRouteAction.DirectResponse,
    };

    private static readonly string[] s_filterClasses = ["UNSPECIFIED", "AUTHN", "AUTHZ", "STATS"];

    /// <summary>Parses the EnvoyFilter <paramref name="name"/> in <paramref name="ns"/>; every problem is reported, not only the first.</summary>
    public static EnvoyFilterSpec Parse(YamlMappingNode root, string ns, string name)
    {
        var created = CreationTimestamp(root);
        var spec = YamlFields.RequiredMap(root, "spec", string.Empty);
        YamlFields.OnlyKeys(spec, "spec", s_specKeys);
        var problems = new Problems();

        problems.Check(() =>
        {
            if (YamlFields.OptionalList(spec, "targetRefs", "spec", maxItems: 16) is { Children.Count: > 0 })
            {
                throw new InvalidFieldException("spec.targetRefs", "attaches the EnvoyFilter to a Gateway API gateway or waypoint, which the mesh does not serve; select workloads with workloadSelector");
            }
        });

        IReadOnlyDictionary<string, string>? selector = null;
        problems.Check(() => selector = WorkloadSelector(spec));

        var priority = 0;
        problems.Check(() => priority = YamlFields.OptionalInt(spec, "priority", "spec", int.MinValue, int.MaxValue) ?? 0);

        var patches = new List<EnvoyFilterPatchSpec>();
        YamlSequenceNode? list = null;
        problems.Check(() => list = YamlFields.OptionalList(spec, "configPatches", "spec", MaxPatches));
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            var path = $"spec.configPatches[{i}]";
            var node = list!.Children[i];
            problems.Check(() =>
            {
                if (node is YamlScalarNode scalar && YamlFields.IsNull(scalar))
                {
                    throw new InvalidFieldException(path, "is a null config patch");
                }

                var map = YamlFields.ItemMap(node, path);
                YamlFields.OnlyKeys(map, path, s_patchKeys);
                if (Patch(map, path, problems) is { } patch)
                {
                    patches.Add(patch);
                }
            });
        }

        problems.ThrowIfAny();
        return new EnvoyFilterSpec(ns, name, selector, priority, patches, created);
    }

    /// <summary>
    /// <c>spec.workloadSelector</c>: its labels, or null when absent. Istio warns that a selector
    /// without labels selects every workload of the namespace, and so reads it the same as none.
    /// </summary>
    private static Dictionary<string, string>? WorkloadSelector(YamlMappingNode spec)
    {
        var selector = YamlFields.OptionalMap(spec, "workloadSelector", "spec");
        if (selector is null)
        {
            return null;
        }

        YamlFields.OnlyKeys(selector, "spec.workloadSelector", s_selectorKeys);
        var labels = IstioFields.Labels(selector, "labels", "spec.workloadSelector");
        foreach (var (key, _) in labels)
        {
            if (key.Length == 0)
            {
                throw new InvalidFieldException("spec.workloadSelector.labels", "an empty label name is not allowed");
            }
        }

        return labels.Count == 0 ? null : labels;
    }

    /// <summary>One config patch; its problems are added to <paramref name="problems"/> and it is null when it has any.</summary>
    private static EnvoyFilterPatchSpec? Patch(YamlMappingNode map, string path, Problems problems)
    {
        var before = problems.Count;
        EnvoyFilterApplyTo? applyTo = null;
        problems.Check(() => applyTo = ApplyTo(map, path));

        EnvoyFilterMatchSpec? match = null;
        problems.Check(() => match = Match(map, path, applyTo));

        var patchPath = path + ".patch";
        YamlMappingNode? patch = null;
        problems.Check(() =>
        {
            patch = YamlFields.OptionalMap(map, "patch", path) ?? throw new InvalidFieldException(patchPath, "is required");
            YamlFields.OnlyKeys(patch, patchPath, s_patchValueKeys);
        });
        if (patch is null)
        {
            return null;
        }

        EnvoyFilterOperation? operation = null;
        problems.Check(() => operation = Operation(patch, patchPath, applyTo));

        string? filterClass = null;
        problems.Check(() =>
        {
            filterClass = YamlFields.OptionalString(patch, "filterClass", patchPath);
            if (filterClass is not null && !s_filterClasses.Contains(filterClass, StringComparer.Ordinal))
            {
                throw new InvalidFieldException(patchPath + ".filterClass", $"must be one of {string.Join(", ", s_filterClasses)}, not '{YamlFields.Truncate(filterClass)}'");
            }

            filterClass = filterClass is "UNSPECIFIED" ? null : filterClass;
        });

        EnvoyFilterValue? value = null;
        if (applyTo is { } kind && operation is { } op)
        {
            problems.Check(() => value = Value(patch, patchPath, kind, op));
            problems.Check(() => NamesWhatItRemovesOrReplaces(kind, op, match, path));
        }

        return problems.Count == before ? new EnvoyFilterPatchSpec(applyTo!.Value, match!, operation!.Value, value, filterClass) : null;
    }

    private static EnvoyFilterApplyTo ApplyTo(YamlMappingNode map, string path)
    {
        var text = YamlFields.OptionalString(map, "applyTo", path);
        if (string.IsNullOrEmpty(text))
        {
            throw new InvalidFieldException(path + ".applyTo", $"is required: one of {string.Join(", ", s_applyTo.Keys)}");
        }

        if (s_applyToUnsupported.TryGetValue(text, out var why))
        {
            throw new InvalidFieldException(path + ".applyTo", why);
        }

        return s_applyTo.TryGetValue(text, out var applyTo)
            ? applyTo
            : throw new InvalidFieldException(path + ".applyTo", $"must be one of {string.Join(", ", s_applyTo.Keys)}, not '{YamlFields.Truncate(text)}'");
    }

    /// <summary>
    /// <c>patch.operation</c>, checked against what Istio's patch code does for the applyTo. Istio
    /// turns the INSERT operations into ADD where the object is no list item (listeners, filter
    /// chains, route configurations, virtual hosts, clusters), and ignores the rest of the
    /// combinations below; those are refused here, so that a patch is never silently a no-op.
    /// </summary>
    private static EnvoyFilterOperation Operation(YamlMappingNode patch, string path, EnvoyFilterApplyTo? applyTo)
    {
        var field = path + ".operation";
        var text = YamlFields.OptionalString(patch, "operation", path);
        if (string.IsNullOrEmpty(text) || text == "INVALID")
        {
            throw new InvalidFieldException(field, $"is required: one of {string.Join(", ", s_operations.Keys)}");
        }

        if (text == "MERGE_AND_REPLACE_LIST")
        {
            throw new InvalidFieldException(field, "MERGE_AND_REPLACE_LIST is not supported yet; use MERGE, or REMOVE and ADD");
        }

        if (!s_operations.TryGetValue(text, out var operation))
        {
            throw new InvalidFieldException(field, $"must be one of {string.Join(", ", s_operations.Keys)}, not '{YamlFields.Truncate(text)}'");
        }

        if (applyTo is not { } kind)
        {
            return operation;
        }

        var isList = kind is EnvoyFilterApplyTo.NetworkFilter or EnvoyFilterApplyTo.HttpFilter or EnvoyFilterApplyTo.HttpRoute;
        if (!isList && operation is EnvoyFilterOperation.InsertBefore or EnvoyFilterOperation.InsertAfter or EnvoyFilterOperation.InsertFirst)
        {
            operation = EnvoyFilterOperation.Add;
        }

        var problem = (kind, operation) switch
        {
            (EnvoyFilterApplyTo.RouteConfiguration, not EnvoyFilterOperation.Merge) =>
                $"Istio only merges into route configurations (MERGE); {text} would be ignored. Route configurations come from the routing objects (VirtualServices)",
            (EnvoyFilterApplyTo.Listener or EnvoyFilterApplyTo.FilterChain or EnvoyFilterApplyTo.Cluster, EnvoyFilterOperation.Replace) =>
                $"Istio ignores REPLACE for {Spelled(kind)}; use MERGE, or REMOVE and ADD",
            (EnvoyFilterApplyTo.HttpRoute, EnvoyFilterOperation.Replace) =>
                "Istio ignores REPLACE for HTTP_ROUTE; use MERGE, or REMOVE and INSERT_BEFORE",
            _ => null,
        };
        return problem is null ? operation : throw new InvalidFieldException(field, problem);
    }

    /// <summary>
    /// <c>patch.value</c>, required unless the operation is REMOVE (whose value Istio checks and
    /// then ignores: it is checked here too, and dropped).
    /// </summary>
    private static EnvoyFilterValue? Value(YamlMappingNode patch, string path, EnvoyFilterApplyTo applyTo, EnvoyFilterOperation operation)
    {
        var field = path + ".value";
        var node = YamlFields.Get(patch, "value");
        if (node is null || node is YamlScalarNode scalar && YamlFields.IsNull(scalar))
        {
            return operation == EnvoyFilterOperation.Remove
                ? null
                : throw new InvalidFieldException(field, $"is required for {operation.ToString().ToUpperInvariant()}: a {EnvoyPatchValues.DescriptorFor(applyTo).FullName} as YAML");
        }

        if (node is not YamlMappingNode)
        {
            throw new InvalidFieldException(field, $"must be a mapping (a {EnvoyPatchValues.DescriptorFor(applyTo).FullName})");
        }

        var (value, problem) = EnvoyPatchValues.Convert(applyTo, ToJson(node, field));
        if (value is null)
        {
            throw new InvalidFieldException(field, problem!);
        }

        if (operation == EnvoyFilterOperation.Add && applyTo is EnvoyFilterApplyTo.Listener or EnvoyFilterApplyTo.Cluster or EnvoyFilterApplyTo.VirtualHost
            && EnvoyPatchValues.Parse(value) is var message && message.Descriptor.FindFieldByName("name")?.Accessor.GetValue(message) is "")
        {
            throw new InvalidFieldException(field + ".name", $"is required: an added {Spelled(applyTo)} needs a name (Istio drops an unnamed listener; Envoy refuses an unnamed cluster or virtual host)");
        }

        return operation == EnvoyFilterOperation.Remove ? null : value;
    }

    /// <summary>
    /// Istio removes or replaces a network filter only where the match names it, and an HTTP filter
    /// only where the match names it as a sub-filter; without the name the patch does nothing there.
    /// </summary>
    private static void NamesWhatItRemovesOrReplaces(EnvoyFilterApplyTo applyTo, EnvoyFilterOperation operation, EnvoyFilterMatchSpec? match, string path)
    {
        if (operation is not (EnvoyFilterOperation.Remove or EnvoyFilterOperation.Replace) || match is null)
        {
            return;
        }

        var listener = match.Listener;
        if (applyTo == EnvoyFilterApplyTo.NetworkFilter && listener?.FilterName is null)
        {
            throw new InvalidFieldException(path + ".match.listener.filterChain.filter.name", $"is required for {operation.ToString().ToUpperInvariant()} of a network filter: Istio removes or replaces only the filter the match names");
        }

        if (applyTo == EnvoyFilterApplyTo.HttpFilter && listener?.SubFilterName is null)
        {
            throw new InvalidFieldException(path + ".match.listener.filterChain.filter.subFilter.name", $"is required for {operation.ToString().ToUpperInvariant()} of an HTTP filter: Istio removes or replaces only the sub-filter the match names");
        }
    }

    private static EnvoyFilterMatchSpec Match(YamlMappingNode map, string path, EnvoyFilterApplyTo? applyTo)
    {
        var matchPath = path + ".match";
        var match = YamlFields.OptionalMap(map, "match", path);
        if (match is null)
        {
            return EnvoyFilterMatchSpec.Anything;
        }

        YamlFields.OnlyKeys(match, matchPath, s_matchKeys, s_matchUnsupported);
        var contextText = YamlFields.OptionalString(match, "context", matchPath) ?? "ANY";
        if (contextText == "WAYPOINT")
        {
            throw new InvalidFieldException(matchPath + ".context", "WAYPOINT is for ambient waypoints, which the mesh does not serve");
        }

        if (!s_contexts.TryGetValue(contextText, out var context))
        {
            throw new InvalidFieldException(matchPath + ".context", $"must be one of {string.Join(", ", s_contexts.Keys)}, not '{YamlFields.Truncate(contextText)}'");
        }

        var (version, metadata) = Proxy(match, matchPath);
        var listenerMap = YamlFields.OptionalMap(match, "listener", matchPath);
        var routeMap = YamlFields.OptionalMap(match, "routeConfiguration", matchPath);
        var clusterMap = YamlFields.OptionalMap(match, "cluster", matchPath);
        var given = new[] { (listenerMap, "listener"), (routeMap, "routeConfiguration"), (clusterMap, "cluster") }.Where(m => m.Item1 is not null).Select(m => m.Item2).ToList();
        if (given.Count > 1)
        {
            throw new InvalidFieldException(matchPath, $"only one of listener, routeConfiguration and cluster may be given, not {string.Join(" and ", given)}");
        }

        // Istio: the match must fit the class of object the patch applies to.
        var problem = applyTo switch
        {
            EnvoyFilterApplyTo.Listener or EnvoyFilterApplyTo.FilterChain or EnvoyFilterApplyTo.NetworkFilter or EnvoyFilterApplyTo.HttpFilter when given.Count == 1 && listenerMap is null =>
                $"applyTo {Spelled(applyTo.Value)} needs a listener match, not {given[0]}",
            EnvoyFilterApplyTo.RouteConfiguration or EnvoyFilterApplyTo.VirtualHost or EnvoyFilterApplyTo.HttpRoute when given.Count == 1 && routeMap is null =>
                $"applyTo {Spelled(applyTo.Value)} needs a routeConfiguration match, not {given[0]}",
            EnvoyFilterApplyTo.Cluster when given.Count == 1 && clusterMap is null =>
                $"applyTo CLUSTER needs a cluster match, not {given[0]}",
            _ => null,
        };
        if (problem is not null)
        {
            throw new InvalidFieldException(matchPath + "." + given[0], problem);
        }

        return new EnvoyFilterMatchSpec(
            context,
            version,
            metadata,
            listenerMap is null ? null : Listener(listenerMap, matchPath + ".listener", applyTo),
            routeMap is null ? null : RouteConfiguration(routeMap, matchPath + ".routeConfiguration"),
            clusterMap is null ? null : Cluster(clusterMap, matchPath + ".cluster"));
    }

    private static (string? Version, Dictionary<string, string> Metadata) Proxy(YamlMappingNode match, string path)
    {
        var proxyPath = path + ".proxy";
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var proxy = YamlFields.OptionalMap(match, "proxy", path);
        if (proxy is null)
        {
            return (null, metadata);
        }

        YamlFields.OnlyKeys(proxy, proxyPath, s_proxyKeys);
        var version = YamlFields.OptionalString(proxy, "proxyVersion", proxyPath) is { Length: > 0 } text ? text : null;
        if (version is not null)
        {
            if (version.Length > MaxProxyVersionLength)
            {
                throw new InvalidFieldException(proxyPath + ".proxyVersion", $"is {version.Length} characters long; Istio ignores a version match longer than {MaxProxyVersionLength}, so such a patch would never apply");
            }

            // Without backtracking, as Go's RE2 matches (which also refuses backreferences and lookarounds).
            try
            {
                _ = new Regex(version, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
            }
            catch (Exception exception) when (exception is ArgumentException or NotSupportedException)
            {
                throw new InvalidFieldException(proxyPath + ".proxyVersion", $"is not a valid regular expression: {exception.Message}");
            }
        }

        var map = YamlFields.OptionalMap(proxy, "metadata", proxyPath);
        foreach (var (k, v) in map?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
        {
            var key = (k as YamlScalarNode)?.Value ?? string.Empty;
            var field = $"{proxyPath}.metadata[{YamlFields.Truncate(key)}]";
            metadata[key] = v is YamlScalarNode scalar && !YamlFields.IsNull(scalar)
                ? scalar.Value ?? string.Empty
                : throw new InvalidFieldException(field, "must be a string");
        }

        return (version, metadata);
    }

    private static EnvoyFilterListenerMatch Listener(YamlMappingNode map, string path, EnvoyFilterApplyTo? applyTo)
    {
        YamlFields.OnlyKeys(map, path, s_listenerKeys, s_listenerUnsupported);
        var port = YamlFields.OptionalInt(map, "portNumber", path, 0, 65535) ?? 0;
        var name = NonEmpty(map, "name", path);
        var chainPath = path + ".filterChain";
        var chain = YamlFields.OptionalMap(map, "filterChain", path);
        if (chain is null)
        {
            return new EnvoyFilterListenerMatch(port, name, null, null, null, null, 0, null, null);
        }

        YamlFields.OnlyKeys(chain, chainPath, s_filterChainKeys);
        string? filterName = null;
        string? subFilterName = null;
        var filterPath = chainPath + ".filter";
        var filter = YamlFields.OptionalMap(chain, "filter", chainPath);
        if (filter is not null)
        {
            YamlFields.OnlyKeys(filter, filterPath, s_filterKeys);
            filterName = NonEmpty(filter, "name", filterPath)
                ?? throw new InvalidFieldException(filterPath + ".name", "is required: a filter match needs a name to match on");
            var subFilter = YamlFields.OptionalMap(filter, "subFilter", filterPath);
            if (subFilter is not null)
            {
                var subPath = filterPath + ".subFilter";
                YamlFields.OnlyKeys(subFilter, subPath, s_nameKeys);
                if (applyTo is not (null or EnvoyFilterApplyTo.HttpFilter))
                {
                    throw new InvalidFieldException(subPath, "a subFilter match can be used with applyTo HTTP_FILTER only");
                }

                if (!s_connectionManagerNames.Contains(filterName, StringComparer.Ordinal))
                {
                    throw new InvalidFieldException(subPath, $"a subFilter match needs the filter match to name {s_connectionManagerNames[0]}, not '{YamlFields.Truncate(filterName)}'");
                }

                subFilterName = NonEmpty(subFilter, "name", subPath)
                    ?? throw new InvalidFieldException(subPath + ".name", "is required: a subFilter match needs a name to match on");
            }
        }

        return new EnvoyFilterListenerMatch(
            port,
            name,
            NonEmpty(chain, "name", chainPath),
            NonEmpty(chain, "sni", chainPath),
            NonEmpty(chain, "transportProtocol", chainPath),
            NonEmpty(chain, "applicationProtocols", chainPath),
            YamlFields.OptionalInt(chain, "destinationPort", chainPath, 0, 65535) ?? 0,
            filterName,
            subFilterName);
    }

    private static EnvoyFilterRouteConfigurationMatch RouteConfiguration(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_routeConfigurationKeys);
        var port = YamlFields.OptionalInt(map, "portNumber", path, 0, 65535) ?? 0;
        var portName = NonEmpty(map, "portName", path);
        var gateway = NonEmpty(map, "gateway", path);
        var name = NonEmpty(map, "name", path);
        var hostPath = path + ".vhost";
        var host = YamlFields.OptionalMap(map, "vhost", path);
        if (host is null)
        {
            return new EnvoyFilterRouteConfigurationMatch(port, portName, gateway, name, null, null, false, null, EnvoyFilterRouteAction.Any);
        }

        YamlFields.OnlyKeys(host, hostPath, s_virtualHostKeys);
        var routePath = hostPath + ".route";
        var route = YamlFields.OptionalMap(host, "route", hostPath);
        var action = EnvoyFilterRouteAction.Any;
        if (route is not null)
        {
            YamlFields.OnlyKeys(route, routePath, s_routeKeys);
            var actionText = YamlFields.OptionalString(route, "action", routePath) ?? "ANY";
            action = s_actions.TryGetValue(actionText, out var known)
                ? known
                : throw new InvalidFieldException(routePath + ".action", $"must be one of {string.Join(", ", s_actions.Keys)}, not '{YamlFields.Truncate(actionText)}'");
        }

        return new EnvoyFilterRouteConfigurationMatch(port, portName, gateway, name,
            NonEmpty(host, "name", hostPath), NonEmpty(host, "domainName", hostPath),
            route is not null, route is null ? null : NonEmpty(route, "name", routePath), action);
    }

    private static EnvoyFilterClusterMatch Cluster(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_clusterKeys);
        return new EnvoyFilterClusterMatch(
            YamlFields.OptionalInt(map, "portNumber", path, 0, 65535) ?? 0,
            NonEmpty(map, "service", path),
            NonEmpty(map, "subset", path),
            NonEmpty(map, "name", path));
    }

    /// <summary>
    /// A YAML value as JSON, typed as Kubernetes reads YAML: a plain <c>true</c>/<c>false</c> is a
    /// boolean, a plain <c>null</c> or <c>~</c> null, a plain number a number, anything else (and
    /// every quoted scalar) a string. Aliases are expanded, within <see cref="MaxValueNodes"/>
    /// nodes, so an alias bomb is refused instead of expanding exponentially.
    /// </summary>
    private static string ToJson(YamlNode root, string field)
    {
        var nodes = 0;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = KubernetesObjectParser.MaxDepth + 1, SkipValidation = false }))
        {
            // Iterative, so that depth costs no stack: (node, or null for "close the container").
            var pending = new Stack<(YamlNode? Node, bool Mapping, string? Key)>();
            pending.Push((root, false, null));
            while (pending.TryPop(out var item))
            {
                if (++nodes > MaxValueNodes)
                {
                    throw new InvalidFieldException(field, $"expands to more than {MaxValueNodes} YAML nodes; a patch value that large is refused");
                }

                if (item.Key is not null)
                {
                    writer.WritePropertyName(item.Key);
                }

                switch (item.Node)
                {
                    case null:
                        if (item.Mapping)
                        {
                            writer.WriteEndObject();
                        }
                        else
                        {
                            writer.WriteEndArray();
                        }

                        break;
                    case YamlMappingNode map:
                        writer.WriteStartObject();
                        pending.Push((null, true, null));
                        foreach (var (k, v) in map.Children.Reverse())
                        {
                            var key = (k as YamlScalarNode)?.Value ?? throw new InvalidFieldException(field, "a mapping key must be a string");
                            pending.Push((v, false, key));
                        }

                        break;
                    case YamlSequenceNode sequence:
                        writer.WriteStartArray();
                        pending.Push((null, false, null));
                        foreach (var child in sequence.Children.Reverse())
                        {
                            pending.Push((child, false, null));
                        }

                        break;
                    case YamlScalarNode scalar:
                        WriteScalar(writer, scalar);
                        break;
                    default:
                        throw new InvalidFieldException(field, "holds a YAML node the mesh cannot read");
                }

                if (buffer.Length + writer.BytesPending > EnvoyPatchValues.MaxJsonLength * 2L)
                {
                    throw new InvalidFieldException(field, $"is larger than {EnvoyPatchValues.MaxJsonLength} characters as JSON; a patch value that large is refused");
                }
            }
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteScalar(Utf8JsonWriter writer, YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        if (scalar.Style is not ScalarStyle.Plain)
        {
            writer.WriteStringValue(text);
            return;
        }

        if (YamlFields.IsNull(scalar))
        {
            writer.WriteNullValue();
        }
        else if (text is "true" or "True" or "TRUE")
        {
            writer.WriteBooleanValue(true);
        }
        else if (text is "false" or "False" or "FALSE")
        {
            writer.WriteBooleanValue(false);
        }
        else if (JsonNumber().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            // Written as the text itself, so that a 64-bit integer keeps every digit.
            writer.WriteRawValue(text.TrimStart('+'), skipInputValidation: false);
        }
        else
        {
            writer.WriteStringValue(text);
        }
    }

    private static string? NonEmpty(YamlMappingNode map, string key, string path) =>
        YamlFields.OptionalString(map, key, path) is { Length: > 0 } value ? value : null;

    private static string Spelled(EnvoyFilterApplyTo applyTo) => applyTo switch
    {
        EnvoyFilterApplyTo.Listener => "LISTENER",
        EnvoyFilterApplyTo.FilterChain => "FILTER_CHAIN",
        EnvoyFilterApplyTo.NetworkFilter => "NETWORK_FILTER",
        EnvoyFilterApplyTo.HttpFilter => "HTTP_FILTER",
        EnvoyFilterApplyTo.RouteConfiguration => "ROUTE_CONFIGURATION",
        EnvoyFilterApplyTo.VirtualHost => "VIRTUAL_HOST",
        EnvoyFilterApplyTo.HttpRoute => "HTTP_ROUTE",
        _ => "CLUSTER",
    };

    /// <summary><c>metadata.creationTimestamp</c> (RFC 3339), or null; it orders EnvoyFilters of one priority.</summary>
    private static DateTimeOffset? CreationTimestamp(YamlMappingNode root)
    {
        var metadata = YamlFields.RequiredMap(root, "metadata", string.Empty);
        var text = YamlFields.OptionalString(metadata, "creationTimestamp", "metadata");
        if (text is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created)
            ? created.ToUniversalTime()
            : throw new InvalidFieldException("metadata.creationTimestamp", $"'{YamlFields.Truncate(text)}' is not an RFC 3339 time");
    }

    [GeneratedRegex(@"^[-+]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex JsonNumber();
}
