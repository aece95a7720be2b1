using System.Globalization;
using System.Text.RegularExpressions;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Proxies;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>
/// Applies EnvoyFilter patches to the Envoy resources generated for one proxy, with the
/// semantics of Istio's <c>pilot/pkg/networking/core/envoyfilter</c> (listener_patch.go,
/// rc_patch.go, cluster_patch.go): the same order (priority, then the root namespace's
/// EnvoyFilters, then creation time and name; within an EnvoyFilter, its patches in order), the
/// same matching, and each object visited as Istio visits it (a listener's own patches, then its
/// filter chains', network filters', HTTP filters'; list operations before merges; additions
/// last, so an added object is not patched again). Pure and static: resources and EnvoyFilters
/// in, new resources out; the inputs are never modified.
/// </summary>
/// <remarks>
/// Where Istio fails quietly, this reports: a patch that matched nothing in the proxy's
/// configuration, or that failed on some object (a MERGE of a <c>typed_config</c> whose
/// <c>@type</c> differs from the object's, which Istio turns into a recovered panic that drops
/// every patch of the proxy), is listed in <see cref="EnvoyFilterPatchResult.Problems"/> and leaves
/// that object as it was. Inbound clusters are matched by the parts of their name only
/// (<c>inbound|port||</c>, no service), as the mesh does not yet know which services an inbound
/// port serves.
/// </remarks>
public static partial class EnvoyFilterPatcher
{
    /// <summary>The HTTP connection manager's filter name, inside which HTTP_FILTER patches apply.</summary>
    public const string HttpConnectionManager = "envoy.filters.network.http_connection_manager";

    private const string VirtualInbound = "virtualInbound";
    private const string VirtualOutbound = "virtualOutbound";

    /// <summary>
    /// Applies the patches of <paramref name="filters"/> (the EnvoyFilters that select the proxy,
    /// in any order) to the proxy's <paramref name="listeners"/>, <paramref name="routes"/> and
    /// <paramref name="clusters"/>.
    /// </summary>
    public static EnvoyFilterPatchResult Apply(
        PatchContext context,
        IReadOnlyList<EnvoyFilterSpec> filters,
        IReadOnlyList<Listener> listeners,
        IReadOnlyList<RouteConfiguration> routes,
        IReadOnlyList<Cluster> clusters)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(filters);
        ArgumentNullException.ThrowIfNull(listeners);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(clusters);

        var run = new Run(context);
        foreach (var filter in Order(filters, context.RootNamespace))
        {
            for (var i = 0; i < filter.Patches.Count; i++)
            {
                run.Admit(filter, i);
            }
        }

        var patchedListeners = listeners.Select(l => l.Clone()).ToList();
        var patchedRoutes = routes.Select(r => r.Clone()).ToList();
        var patchedClusters = clusters.Select(c => c.Clone()).ToList();
        if (context.Kind != ProxyKind.Proxyless)
        {
            patchedListeners = PatchListeners(run, patchedListeners);
            patchedRoutes = PatchRouteConfigurations(run, patchedRoutes);
            patchedClusters = PatchClusters(run, patchedClusters);
        }

        return new EnvoyFilterPatchResult(patchedListeners, patchedRoutes, patchedClusters, run.Finish());
    }

    /// <summary>
    /// <paramref name="filters"/> in the order Istio applies them: by priority, then those of the
    /// root namespace first, then by creation time, then by <c>name.namespace</c>.
    /// </summary>
    public static IReadOnlyList<EnvoyFilterSpec> Order(IEnumerable<EnvoyFilterSpec> filters, string rootNamespace)
    {
        ArgumentNullException.ThrowIfNull(filters);
        return filters
            .OrderBy(f => f.Priority)
            .ThenBy(f => string.Equals(f.Namespace, rootNamespace, StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(f => f.CreationTimestamp ?? DateTimeOffset.MinValue)
            .ThenBy(f => f.Name + "." + f.Namespace, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Whether a patch of context <paramref name="patch"/> applies to an object in <paramref name="actual"/>.</summary>
    private static bool ContextMatches(EnvoyFilterContext patch, EnvoyFilterContext actual) => patch == EnvoyFilterContext.Any || patch == actual;

    /// <summary>
    /// Whether an ADD of context <paramref name="patch"/> adds for a proxy of <paramref name="kind"/>.
    /// Istio runs additions once per context it builds (inbound, outbound, gateway) and lets an ANY
    /// addition in only on the outbound and gateway runs, so that it is added once.
    /// </summary>
    private static bool AddsFor(EnvoyFilterContext patch, PatchContext context) => context.Kind switch
    {
        ProxyKind.Router => patch is EnvoyFilterContext.Any or EnvoyFilterContext.Gateway,
        ProxyKind.Sidecar when context.Side == EnvoyFilterContext.SidecarInbound => patch is EnvoyFilterContext.SidecarInbound,
        ProxyKind.Sidecar => patch is EnvoyFilterContext.Any or EnvoyFilterContext.SidecarInbound or EnvoyFilterContext.SidecarOutbound,
        _ => false,
    };

    /// <summary>The context of a proxy's object: GATEWAY on a gateway; on a sidecar, SIDECAR_INBOUND when <paramref name="inbound"/>, else SIDECAR_OUTBOUND.</summary>
    private static EnvoyFilterContext ContextOf(ProxyKind kind, bool inbound) =>
        kind == ProxyKind.Router ? EnvoyFilterContext.Gateway
        : inbound ? EnvoyFilterContext.SidecarInbound
        : EnvoyFilterContext.SidecarOutbound;

    /// <summary>
    /// Merges the <c>typed_config</c> <paramref name="patch"/> into <paramref name="existing"/>: the
    /// merged Any, or null when their types differ (or are not the project's), which is reported.
    /// </summary>
    private static Any? MergeTypedConfig(Run run, Active patch, Any existing, Any value, string where)
    {
        var existingMessage = EnvoyPatchValues.Unpack(existing);
        var valueMessage = EnvoyPatchValues.Unpack(value);
        if (existingMessage is null || valueMessage is null || existingMessage.Descriptor != valueMessage.Descriptor)
        {
            run.Fail(patch, $"{where}: the typed_config is a {Any.GetTypeName(existing.TypeUrl)}, the patch's a {Any.GetTypeName(value.TypeUrl)}; left unchanged");
            return null;
        }

        ProtoMerge.Merge(existingMessage, valueMessage);
        return Any.Pack(existingMessage);
    }

    /// <summary>One patch admitted to a run: its EnvoyFilter, index, spec and parsed value.</summary>
    private sealed record Active(EnvoyFilterSpec Filter, int Index, EnvoyFilterPatchSpec Spec, IMessage? Value)
    {
        public EnvoyFilterOperation Operation => Spec.Operation;

        public EnvoyFilterMatchSpec Match => Spec.Match;

        /// <summary>A fresh copy of the value, to place in a resource.</summary>
        public T Copy<T>()
            where T : IMessage => (T)ProtoMerge.Clone(Value!);
    }

    /// <summary>The patches of one application, by applyTo in order, and what became of each.</summary>
    private sealed class Run(PatchContext context)
    {
        private readonly Dictionary<EnvoyFilterApplyTo, List<Active>> _byApplyTo = [];
        private readonly List<Active> _all = [];
        private readonly HashSet<Active> _applied = [];
        private readonly List<EnvoyFilterProblem> _problems = [];
        private readonly HashSet<Active> _reported = [];

        public PatchContext Context { get; } = context;

        /// <summary>The admitted patches to <paramref name="applyTo"/>, in order.</summary>
        public IReadOnlyList<Active> Patches(EnvoyFilterApplyTo applyTo) => _byApplyTo.GetValueOrDefault(applyTo) ?? [];

        /// <summary>Takes patch <paramref name="index"/> of <paramref name="filter"/> in, unless the proxy does not match it or its value cannot be read.</summary>
        public void Admit(EnvoyFilterSpec filter, int index)
        {
            var spec = filter.Patches[index];
            if (Context.Side is { } side && spec.Match.Context != side && spec.Match.Context != EnvoyFilterContext.Any)
            {
                return; // The other side's patch: applied there.
            }

            if (Context.Takes is { } takes && !takes.Contains(spec.ApplyTo))
            {
                return; // The other part's patch: applied there.
            }

            if (ProxyMismatch(spec.Match) is { } mismatch)
            {
                _problems.Add(new EnvoyFilterProblem(filter.Namespace, filter.Name, index, mismatch));
                return;
            }

            IMessage? value = null;
            if (spec.Value is not null)
            {
                try
                {
                    value = EnvoyPatchValues.Parse(spec.Value);
                }
                catch (Exception exception) when (exception is InvalidProtocolBufferException or InvalidJsonException or InvalidOperationException or FormatException)
                {
                    _problems.Add(new EnvoyFilterProblem(filter.Namespace, filter.Name, index, $"the value does not parse: {exception.Message}"));
                    return;
                }
            }
            else if (spec.Operation != EnvoyFilterOperation.Remove)
            {
                _problems.Add(new EnvoyFilterProblem(filter.Namespace, filter.Name, index, $"{spec.Operation} needs a value"));
                return;
            }

            var active = new Active(filter, index, spec, value);
            if (!_byApplyTo.TryGetValue(spec.ApplyTo, out var list))
            {
                _byApplyTo[spec.ApplyTo] = list = [];
            }

            list.Add(active);
            _all.Add(active);
        }

        /// <summary>Notes that <paramref name="patch"/> changed something.</summary>
        public void Applied(Active patch) => _applied.Add(patch);

        /// <summary>Reports that <paramref name="patch"/> failed on one object, which it left as it was.</summary>
        public void Fail(Active patch, string reason)
        {
            _reported.Add(patch);
            _problems.Add(new EnvoyFilterProblem(patch.Filter.Namespace, patch.Filter.Name, patch.Index, reason));
        }

        /// <summary>The problems, with one for each admitted patch that changed nothing and failed nowhere.</summary>
        public List<EnvoyFilterProblem> Finish()
        {
            // An ANY patch applied to one side of a sidecar may match on the other: not reported.
            foreach (var patch in _all.Where(p => !_applied.Contains(p) && !_reported.Contains(p) && (Context.Side is null || p.Match.Context != EnvoyFilterContext.Any)))
            {
                _problems.Add(new EnvoyFilterProblem(patch.Filter.Namespace, patch.Filter.Name, patch.Index,
                    $"{patch.Spec.ApplyTo} {patch.Operation} (context {patch.Match.Context}) matched nothing in this {Context.Kind.ToString().ToLowerInvariant()} proxy's configuration"));
            }

            return _problems
                .OrderBy(p => p.Namespace, StringComparer.Ordinal)
                .ThenBy(p => p.Name, StringComparer.Ordinal)
                .ThenBy(p => p.Patch)
                .ToList();
        }

        /// <summary>Why the proxy does not match <c>match.proxy</c> (Istio's <c>proxyMatch</c>), or null when it does.</summary>
        private string? ProxyMismatch(EnvoyFilterMatchSpec match)
        {
            if (Context.Kind == ProxyKind.Proxyless)
            {
                return "proxyless gRPC clients are not patched (Istio does not patch them either)";
            }

            if (match.ProxyVersion is { } version)
            {
                if (Context.IstioVersion is null)
                {
                    return $"match.proxy.proxyVersion '{version}' needs the proxy's Istio version, which it did not send";
                }

                // Without backtracking (linear time), as Go's RE2 matches; the parser refused what it cannot read.
                bool matches;
                try
                {
                    matches = Regex.IsMatch(Context.IstioVersion, version, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
                }
                catch (Exception exception) when (exception is ArgumentException or NotSupportedException)
                {
                    return $"match.proxy.proxyVersion '{version}' is not a regular expression the mesh can match: {exception.Message}";
                }

                if (!matches)
                {
                    return $"the proxy's Istio version {Context.IstioVersion} does not match '{version}'";
                }
            }

            foreach (var (key, value) in match.ProxyMetadata)
            {
                if (!Context.Metadata.TryGetValue(key, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
                {
                    return $"the proxy's metadata {key} is {(actual is null ? "absent" : $"'{actual}'")}, not '{value}'";
                }
            }

            return null;
        }
    }

    /// <summary>The port in a route configuration or cluster name <c>inbound|port|...</c>, or 0.</summary>
    private static int InboundPort(string name)
    {
        var parts = name.Split('|');
        return parts.Length >= 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : 0;
    }
}
