using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Golden;

/// <summary>
/// Serves golden scenarios for real and keeps what their proxy was sent: for each scenario a
/// control plane (<see cref="MeshServer"/>) is started on its <c>input.yaml</c> and settings, the
/// scenario's proxy opens an ADS stream and asks for everything (CDS and LDS wildcards, EDS for
/// every EDS cluster, RDS for every route configuration its listeners name), and the control
/// plane is stopped. Each scenario is served once, whichever test asks first. An xunit class fixture.
/// </summary>
public sealed class GoldenMesh : IAsyncDisposable
{
    private const string HttpConnectionManagerType = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, Any>>> _served = [];

    /// <summary>
    /// What the proxy of <paramref name="scenario"/> is sent, by type URL then resource name.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, Any>>> ServeAsync(GoldenScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        await _gate.WaitAsync();
        try
        {
            if (!_served.TryGetValue(scenario.Name, out var served))
            {
                served = await FetchAsync(scenario);
                _served[scenario.Name] = served;
            }

            return served;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, Any>>> FetchAsync(GoldenScenario scenario)
    {
        await using var server = await MeshServer.StartAsync(new Dictionary<string, string> { ["input.yaml"] = scenario.InputYaml }, scenario.Settings);
        await using var client = AdsTestClient.Connect(server.XdsPort, scenario.NodeId, metadata: scenario.Metadata());

        var served = new Dictionary<string, IReadOnlyDictionary<string, Any>>();
        await client.SendAsync(TypeUrls.Cluster);
        var clusters = await client.ReceiveTypeAsync(TypeUrls.Cluster);
        served[TypeUrls.Cluster] = ByName(clusters.Resources, a => a.Unpack<Cluster>().Name);
        await client.SendAsync(TypeUrls.Listener);
        var listeners = await client.ReceiveTypeAsync(TypeUrls.Listener);
        served[TypeUrls.Listener] = ByName(listeners.Resources, a => a.Unpack<Listener>().Name);

        var edsNames = AdsTestClient.Unpack<Cluster>(clusters).Where(c => c.Type == Cluster.Types.DiscoveryType.Eds).Select(c => c.Name).ToList();
        served[TypeUrls.ClusterLoadAssignment] = edsNames.Count == 0
            ? new Dictionary<string, Any>()
            : await AskAsync(client, TypeUrls.ClusterLoadAssignment, edsNames, a => a.Unpack<ClusterLoadAssignment>().ClusterName);

        var routeNames = AdsTestClient.Unpack<Listener>(listeners).SelectMany(RouteNames).Distinct(StringComparer.Ordinal).ToList();
        served[TypeUrls.RouteConfiguration] = routeNames.Count == 0
            ? new Dictionary<string, Any>()
            : await AskAsync(client, TypeUrls.RouteConfiguration, routeNames, a => a.Unpack<RouteConfiguration>().Name);
        return served;
    }

    /// <summary>
    /// Subscribes to <paramref name="names"/> and collects responses until each has come (EDS and
    /// RDS responses may carry only some of the names each), within 20 s.
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, Any>> AskAsync(AdsTestClient client, string typeUrl, List<string> names, Func<Any, string> nameOf)
    {
        await client.SendAsync(typeUrl, names);
        var found = new Dictionary<string, Any>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!names.All(found.ContainsKey))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"{typeUrl}: never sent {string.Join(", ", names.Where(n => !found.ContainsKey(n)))}");
            }

            var response = await client.ReceiveTypeAsync(typeUrl, left);
            foreach (var resource in response.Resources)
            {
                found[nameOf(resource)] = resource;
            }

            await client.AckAsync(response, names);
        }

        return found;
    }

    private static Dictionary<string, Any> ByName(IEnumerable<Any> resources, Func<Any, string> nameOf) =>
        resources.ToDictionary(nameOf, r => r, StringComparer.Ordinal);

    private static IEnumerable<string> RouteNames(Listener listener)
    {
        var configs = listener.FilterChains.SelectMany(c => c.Filters).Select(f => f.TypedConfig).Append(listener.ApiListener?.ApiListener_);
        foreach (var config in configs)
        {
            if (config is not null && config.TypeUrl == TypeUrls.Prefix + HttpConnectionManagerType && config.Unpack<HttpConnectionManager>().Rds is { } rds)
            {
                yield return rds.RouteConfigName;
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }
}
