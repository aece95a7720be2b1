using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Translation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Grains;

/// <summary>
/// The listeners and routes of the gateway workloads of one member cluster that carry one set of
/// labels: every gateway proxy with those labels shares this grain's bytes. It watches, in its
/// member cluster's <see cref="ClusterGrain"/>, the Gateways selecting the labels and the
/// VirtualServices bound to them (see <see cref="WatchingScopeGrain{TInputs}"/>), and patches
/// what it builds with the EnvoyFilters that select the gateways (context GATEWAY or ANY), as
/// Istio does; what they did not do is told to the member cluster, which lists it on each
/// EnvoyFilter. A gateway's clusters come from the scope of its namespace's gateways
/// (<see cref="ScopeNames.RouterScope"/>, shared by every gateway of the namespace whatever its
/// labels), which applies the CLUSTER patches; this grain names that scope
/// (<see cref="TypeUrls.ScopeAssignment"/>), with the workload-selecting EnvoyFilters that patch
/// its clusters, and the gateway's stream moves there.
/// </summary>
public sealed class GatewayGrain(ILogger<GatewayGrain> logger, IOptions<MeshScopingOptions> scoping) : WatchingScopeGrain<GatewayInputs>(logger), IGatewayGrain
{
    private string _memberClusterId = string.Empty;
    private IReadOnlyDictionary<string, string> _labels = new Dictionary<string, string>();
    private string? _namespace;

    /// <inheritdoc/>
    protected override GatewayInputs None => GatewayInputs.None;

    private IClusterGrain Cluster => GrainFactory.GetGrain<IClusterGrain>(_memberClusterId);

    /// <inheritdoc/>
    public Task UpdateAsync(GatewayInputs inputs) => UpdateInputsAsync(inputs);

    /// <inheritdoc/>
    protected override void Initialize(string key) =>
        (_memberClusterId, _labels, _namespace) = ScopeNames.ParseGateway(key)
            ?? throw new ArgumentException($"'{key}' does not name a gateway scope (gateway/<cluster>/<labels>)");

    /// <inheritdoc/>
    protected override Task<GatewayInputs?> WatchAsync() => Cluster.WatchGatewayAsync(_labels, _namespace, this.AsReference<IGatewayGrain>());

    /// <inheritdoc/>
    protected override Task UnwatchAsync() => Cluster.UnwatchGatewayAsync(_labels, _namespace, this.AsReference<IGatewayGrain>());

    /// <inheritdoc/>
    protected override IEnumerable<XdsResource> Build(GatewayInputs inputs)
    {
        var built = GatewayTranslator.Build(inputs, _labels);
        GrainMetrics.Built("gateway", built.Count);
        IEnumerable<XdsResource> resources = built;
        var problems = new List<EnvoyFilterProblem>();
        var filters = inputs.EnvoyFilters ?? [];
        if (filters.Count > 0)
        {
            // The listeners and routes here; the clusters in the scope of the gateway's namespace.
            var context = PatchContext.Shared(Interfaces.Proxies.ProxyKind.Router, scoping.Value.RootNamespace, takes: PatchContext.GatewayListeners);
            var (patched, patchProblems) = ResourcePatcher.Patch(resources, filters, context);
            resources = patched;
            problems.AddRange(patchProblems);
            if (_namespace is null)
            {
                problems.AddRange(ClusterPatches(filters).Select(p => new EnvoyFilterProblem(p.Filter.Namespace, p.Filter.Name, p.Index,
                    "CLUSTER patches are not applied to a gateway whose node gives no namespace: it takes the whole mesh's clusters, shared by every such gateway")));
            }
        }

        ReportPatchProblems(Cluster, problems);
        if (_namespace is null)
        {
            return resources;
        }

        // The scope its clusters come from: its namespace's gateways', or, when workload-selecting
        // EnvoyFilters patch its clusters, the scope of those gateways that they select too.
        var selecting = ClusterPatches(filters).Select(p => p.Filter).Where(f => f.WorkloadSelector is not null).Select(f => $"{f.Namespace}/{f.Name}").Distinct(StringComparer.Ordinal);
        return [.. resources, WorkloadTranslator.ScopeAssignment(ScopeNames.RouterScope(_memberClusterId, _namespace, selecting))];
    }

    /// <summary>The CLUSTER patches of <paramref name="filters"/> that could apply to a gateway.</summary>
    private static IEnumerable<(EnvoyFilterSpec Filter, int Index)> ClusterPatches(IReadOnlyList<EnvoyFilterSpec> filters) =>
        filters.SelectMany(f => f.Patches.Select((patch, i) => (f, i, patch)))
            .Where(p => p.patch.ApplyTo == EnvoyFilterApplyTo.Cluster && p.patch.Match.Context is EnvoyFilterContext.Any or EnvoyFilterContext.Gateway)
            .Select(p => (p.f, p.i));
}
