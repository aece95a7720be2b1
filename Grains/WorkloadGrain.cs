using System.Net;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Translation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Grains;

/// <summary>
/// One workload's own resources (a sidecar's inbound side, an xDS-enabled gRPC server's
/// listeners), for the frontends whose proxies run beside it. It watches its address in its
/// member cluster's <see cref="ClusterGrain"/>, which tells it when the workload's ports change
/// (see <see cref="WatchingScopeGrain{TInputs}"/>).
/// </summary>
public sealed class WorkloadGrain(ILogger<WorkloadGrain> logger, IOptions<MeshScopingOptions> scoping, IOptions<Interfaces.Security.MeshSecurityOptions> security) : WatchingScopeGrain<WorkloadInputs>(logger), IWorkloadGrain
{
    private (Interfaces.Proxies.ProxyKind Kind, string MemberClusterId, string Ip) _workload;

    /// <inheritdoc/>
    protected override WorkloadInputs None => WorkloadInputs.None;

    private IClusterGrain Cluster => GrainFactory.GetGrain<IClusterGrain>(_workload.MemberClusterId);

    /// <inheritdoc/>
    public Task UpdateAsync(WorkloadInputs inputs) => UpdateInputsAsync(inputs);

    /// <inheritdoc/>
    protected override void Initialize(string key) =>
        _workload = ScopeNames.ParseWorkload(key) is { } parsed && IPAddress.TryParse(parsed.Ip, out _)
            ? parsed
            : throw new ArgumentException($"'{key}' does not name a workload (workload/<kind>/<cluster>/<ip>)");

    /// <inheritdoc/>
    protected override Task<WorkloadInputs?> WatchAsync() => Cluster.WatchWorkloadAsync(_workload.Ip, this.AsReference<IWorkloadGrain>());

    /// <inheritdoc/>
    protected override Task UnwatchAsync() => Cluster.UnwatchWorkloadAsync(_workload.Ip, this.AsReference<IWorkloadGrain>());

    /// <inheritdoc/>
    /// <remarks>
    /// A sidecar's inbound side is patched by the EnvoyFilters that select it (their
    /// SIDECAR_INBOUND and ANY patches; the outbound side is patched in its sidecar scope), and
    /// what they did not do is told to the member cluster, which lists it on each EnvoyFilter.
    /// </remarks>
    protected override IEnumerable<XdsResource> Build(WorkloadInputs inputs)
    {
        var resources = WorkloadTranslator.Build(_workload.Kind, _workload.Ip, inputs, security.Value.TrustDomain);
        GrainMetrics.Built("workload", resources.Count);
        IReadOnlyList<EnvoyFilterProblem> problems = [];
        if (_workload.Kind == Interfaces.Proxies.ProxyKind.Sidecar && inputs.EnvoyFilters is { Count: > 0 } filters)
        {
            var context = PatchContext.Shared(Interfaces.Proxies.ProxyKind.Sidecar, scoping.Value.RootNamespace, EnvoyFilterContext.SidecarInbound);
            (var patched, problems) = ResourcePatcher.Patch(resources, filters, context);
            resources = patched;
        }

        ReportPatchProblems(Cluster, problems);
        return resources;
    }
}
