using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Grains.Translation;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Grains;

/// <summary>
/// The listeners and routes of the gateway workloads of one member cluster that carry one set of
/// labels: every gateway proxy with those labels shares this grain's bytes. It watches, in its
/// member cluster's <see cref="ClusterGrain"/>, the Gateways selecting the labels and the
/// VirtualServices bound to them (see <see cref="WatchingScopeGrain{TInputs}"/>).
/// </summary>
public sealed class GatewayGrain(ILogger<GatewayGrain> logger) : WatchingScopeGrain<GatewayInputs>(logger), IGatewayGrain
{
    private string _memberClusterId = string.Empty;
    private IReadOnlyDictionary<string, string> _labels = new Dictionary<string, string>();

    /// <inheritdoc/>
    protected override GatewayInputs None => GatewayInputs.None;

    private IClusterGrain Cluster => GrainFactory.GetGrain<IClusterGrain>(_memberClusterId);

    /// <inheritdoc/>
    public Task UpdateAsync(GatewayInputs inputs) => UpdateInputsAsync(inputs);

    /// <inheritdoc/>
    protected override void Initialize(string key) =>
        (_memberClusterId, _labels) = ScopeNames.ParseGateway(key)
            ?? throw new ArgumentException($"'{key}' does not name a gateway scope (gateway/<cluster>/<labels>)");

    /// <inheritdoc/>
    protected override Task<GatewayInputs?> WatchAsync() => Cluster.WatchGatewayAsync(_labels, this.AsReference<IGatewayGrain>());

    /// <inheritdoc/>
    protected override Task UnwatchAsync() => Cluster.UnwatchGatewayAsync(_labels, this.AsReference<IGatewayGrain>());

    /// <inheritdoc/>
    protected override IEnumerable<XdsResource> Build(GatewayInputs inputs) => GatewayTranslator.Build(inputs, _labels);
}
