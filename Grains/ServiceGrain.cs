using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Scoping;
using Mesh.Orleans.Grains.Translation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Mesh.Orleans.Grains;

/// <summary>
/// One mesh hostname. Merges what each member cluster declares for it (the Service of the
/// first cluster by id that has one defines the ports, and the DestinationRules of the first
/// that binds any apply; endpoints come from every cluster; without a Service, the first
/// cluster's ServiceEntry declares the host)
/// and translates the result into Envoy resources, serialised once here and shared by
/// every scope and stream that needs them.
/// </summary>
public sealed class ServiceGrain(
    [PersistentState("service", GrainStorage.Mesh)] IPersistentState<ServiceGrainState> state,
    IOptions<MeshTrafficOptions> traffic,
    IOptions<MeshScopingOptions> scoping,
    ILogger<ServiceGrain> logger) : Grain, IServiceGrain
{
    private ServiceResources? _resources;
    private StateWriter<ServiceGrainState>? _writer;

    private StateWriter<ServiceGrainState> Writer => _writer ??= new StateWriter<ServiceGrainState>(state, logger, this.GetPrimaryKeyString);

    /// <inheritdoc/>
    public async Task<ServiceResources> UpdateClusterInputAsync(string clusterId, ServiceInput? input)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterId);
        var previous = _resources is { } held ? held.Visibility : VisibilityOf(OrderedInputs());
        if (input is null)
        {
            state.State.Inputs.Remove(clusterId);
        }
        else
        {
            state.State.Inputs[clusterId] = input;
        }

        state.State.Revision++;
        _resources = Translate() with { PreviousVisibility = previous };
        await Writer.WriteAsync();
        return _resources;
    }

    /// <inheritdoc/>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await (_writer?.FlushAsync(cancellationToken) ?? Task.CompletedTask);
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<ServiceResources> GetResourcesAsync() => Task.FromResult(_resources ??= Translate());

    private ServiceResources Translate()
    {
        var host = this.GetPrimaryKeyString();
        var inputs = OrderedInputs();
        var service = inputs.Select(i => i.Service).FirstOrDefault(s => s is not null);
        var slices = inputs.SelectMany(i => i.EndpointSlices).ToList();
        var virtualServices = inputs
            .SelectMany(i => i.VirtualServices)
            .DistinctBy(v => (v.Namespace, v.Name))
            .ToList();
        var destinationPorts = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        foreach (var (destination, ports) in inputs.SelectMany(i => i.DestinationPorts))
        {
            destinationPorts.TryAdd(destination, ports);
        }

        var referencedPorts = inputs.SelectMany(i => i.ReferencedPorts ?? []).ToHashSet();

        // The rules of the first member cluster by id that binds any, as its Service defines the ports.
        var meshRules = inputs.Select(i => i.DestinationRules).FirstOrDefault(r => r is { Count: > 0 }) ?? [];
        var referencedSubsets = inputs.SelectMany(i => i.ReferencedSubsets ?? []).Distinct().ToList();
        // A Kubernetes Service of the hostname wins over a ServiceEntry's, as in Istio; else the first cluster's entry by id.
        var serviceEntry = service is null ? inputs.Select(i => i.ServiceEntry).FirstOrDefault(e => e is not null) : null;
        IReadOnlyList<XdsResource> TranslateWith(IReadOnlyList<VirtualServiceSpec> routing, DestinationRuleSpec? rule) =>
            ServiceTranslator.Translate(host, service, slices, routing, destinationPorts, referencedPorts, rule, referencedSubsets, serviceEntry, traffic.Value.RegistryOnly);
        var resources = TranslateWith(virtualServices, DestinationRules.Merge(meshRules));

        // Proxies in a namespace may take another VirtualService or DestinationRule (exportTo, lookup order).
        var candidateRules = inputs.Select(i => i.CandidateRules).FirstOrDefault(r => r is { Count: > 0 }) ?? [];
        var views = NamespaceViews.For(host, service?.Namespace ?? serviceEntry?.Namespace, virtualServices, meshRules, candidateRules, scoping.Value)?
            .Select(v => new NamespaceView(v.Namespaces, v.AsMesh ? resources : TranslateWith(v.VirtualServices, DestinationRules.Merge(v.Rules))))
            .ToList();
        GrainMetrics.Built("service", resources.Count + (views?.Sum(v => v.Resources.Count) ?? 0));
        return new ServiceResources(host, state.State.Revision, resources, VisibilityOf(inputs), Views: views);
    }

    /// <summary>Each member cluster's input, in the order of their ids (the first Service, entry or rule wins).</summary>
    private List<ServiceInput> OrderedInputs() => state.State.Inputs.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => i.Value).ToList();

    /// <summary>
    /// Who may see the hostname: the declaring Service's (or, without one, ServiceEntry's)
    /// namespace, exportTo and ports, and the VirtualServices of every cluster routing to it.
    /// </summary>
    private static ServiceVisibility? VisibilityOf(List<ServiceInput> inputs)
    {
        var service = inputs.Select(i => i.Service).FirstOrDefault(s => s is not null);
        var serviceEntry = service is null ? inputs.Select(i => i.ServiceEntry).FirstOrDefault(e => e is not null) : null;
        var importers = inputs
            .SelectMany(i => i.Importers ?? [])
            .DistinctBy(v => (v.Namespace, v.Name))
            .ToList();
        if (service is not null)
        {
            return new ServiceVisibility(service.Namespace, service.ExportTo, service.Ports.Select(p => p.Port).ToList(), importers);
        }

        if (serviceEntry is not null)
        {
            return new ServiceVisibility(serviceEntry.Namespace, serviceEntry.ExportTo, serviceEntry.Ports.Select(p => p.Number).ToList(), importers);
        }

        // Named by routes only: seen with the VirtualServices that route to it.
        var referenced = inputs.SelectMany(i => i.ReferencedPorts ?? []).Concat(inputs.SelectMany(i => i.ReferencedSubsets ?? []).Select(r => r.Port)).Distinct().Order().ToList();
        return importers.Count > 0 && referenced.Count > 0 ? new ServiceVisibility(string.Empty, null, referenced, importers, Declared: false) : null;
    }
}
