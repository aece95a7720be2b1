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
/// labels), so CLUSTER patches are not applied to gateways, and say so.
/// </summary>
public sealed class GatewayGrain(ILogger<GatewayGrain> logger, IOptions<MeshScopingOptions> scoping) : WatchingScopeGrain<GatewayInputs>(logger), IGatewayGrain
{
    private static readonly IReadOnlyDictionary<string, string> s_noMetadata = new Dictionary<string, string>();
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
        IEnumerable<XdsResource> resources = GatewayTranslator.Build(inputs, _labels);
        var problems = new List<EnvoyFilterProblem>();
        if (inputs.EnvoyFilters is { Count: > 0 } filters)
        {
            var context = new PatchContext(Interfaces.Proxies.ProxyKind.Router, null, s_noMetadata, scoping.Value.RootNamespace);
            var (patched, patchProblems) = ResourcePatcher.Patch(resources, filters, context);
            resources = patched;
            problems.AddRange(UnappliedClusterPatches(filters));

            // A CLUSTER patch matched no cluster of the gateway's own resources: said above, once.
            problems.AddRange(patchProblems.Where(p => !problems.Any(c => c.Namespace == p.Namespace && c.Name == p.Name && c.Patch == p.Patch)));
        }

        ReportPatchProblems(Cluster, problems);
        return resources;
    }

    /// <summary>The CLUSTER patches of <paramref name="filters"/> that would apply to a gateway, which the shared router scope does not take.</summary>
    private static IEnumerable<EnvoyFilterProblem> UnappliedClusterPatches(IReadOnlyList<EnvoyFilterSpec> filters)
    {
        foreach (var filter in filters)
        {
            for (var i = 0; i < filter.Patches.Count; i++)
            {
                var patch = filter.Patches[i];
                if (patch.ApplyTo == EnvoyFilterApplyTo.Cluster && patch.Match.Context is EnvoyFilterContext.Any or EnvoyFilterContext.Gateway)
                {
                    yield return new EnvoyFilterProblem(filter.Namespace, filter.Name, i,
                        "CLUSTER patches are not applied to gateways yet: a gateway's clusters are the whole mesh's, shared by every gateway (sidecars take them)");
                }
            }
        }
    }
}
