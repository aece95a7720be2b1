using Envoy.Service.Discovery.V3;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>
/// A Delta stream that stays connected works out each change from the names that changed
/// (shared by every stream), not from everything it subscribes to; whatever the run of changes,
/// it must leave the client holding exactly what a stream opened afresh is sent.
/// </summary>
public sealed class DeltaIncrementalTests
{
    private static string Cluster(string service, int port) => $"outbound|{port}||{service}.default.svc.cluster.local";

    private static string ServiceYaml(string name, int port, params string[] addresses) => MeshYaml.Documents(
        MeshYaml.Service(name, port),
        MeshYaml.Slice($"{name}-1", name, port + 10000, addresses.Select(a => (a, true))));

    [Fact]
    public async Task ConnectedStreams_AfterUpdatesRemovalsAndAdditions_HoldWhatAFreshStreamIsSent()
    {
        var files = new Dictionary<string, string>
        {
            ["alpha.yaml"] = ServiceYaml("alpha", 8080, "127.0.0.1"),
            ["beta.yaml"] = ServiceYaml("beta", 8081, "127.0.0.2"),
            ["gamma.yaml"] = ServiceYaml("gamma", 8082, "127.0.0.3"),
        };
        await using var server = await MeshServer.StartAsync(files);
        string[] named = [Cluster("alpha", 8080), Cluster("beta", 8081), Cluster("delta", 8083)];
        await using var wildcard = DeltaTestClient.Connect(server.XdsPort, "sidecar~127.0.0.10~wild.default~default.svc.cluster.local");
        await using var byName = DeltaTestClient.Connect(server.XdsPort, "sidecar~127.0.0.11~named.default~default.svc.cluster.local");
        var wildcardHolds = new Dictionary<string, string>(StringComparer.Ordinal);
        var byNameHolds = new Dictionary<string, string>(StringComparer.Ordinal);
        await wildcard.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: ["*"]);
        await byName.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: named);
        foreach (var (client, holds) in new[] { (wildcard, wildcardHolds), (byName, byNameHolds) })
        {
            var first = await client.ReceiveAsync();
            Apply(first, holds);
            await client.AckAsync(first);
        }
        Func<Task>[] changes =
        [
            () => server.WriteConfigAsync("alpha.yaml", ServiceYaml("alpha", 8080, "127.0.0.1", "127.0.0.4")),
            () => { server.DeleteConfig("beta.yaml"); return Task.CompletedTask; },
            () => server.WriteConfigAsync("delta.yaml", ServiceYaml("delta", 8083, "127.0.0.5")),
            () => server.WriteConfigAsync("gamma.yaml", ServiceYaml("gamma", 8082, "127.0.0.6")),
            () => server.WriteConfigAsync("beta.yaml", ServiceYaml("beta", 8081, "127.0.0.2")),
            () => server.WriteConfigAsync("alpha.yaml", ServiceYaml("alpha", 8080, "127.0.0.1")),
        ];

        for (var step = 0; step < changes.Length; step++)
        {
            await changes[step]();

            // The change reaches the streams after the source's debounce: compare until both agree, a bounded number of times.
            Dictionary<string, string> freshWildcard = [], freshByName = [];
            for (var attempt = 0; attempt < 20; attempt++)
            {
                await DrainAsync(wildcard, wildcardHolds);
                await DrainAsync(byName, byNameHolds);
                freshWildcard = await FreshAsync(server.XdsPort, $"fresh-wild-{step}-{attempt}", ["*"]);
                freshByName = await FreshAsync(server.XdsPort, $"fresh-named-{step}-{attempt}", named);
                if (Same(freshWildcard, wildcardHolds) && Same(freshByName, byNameHolds))
                {
                    break;
                }
            }

            Assert.Equal(freshWildcard, wildcardHolds);
            Assert.Equal(freshByName, byNameHolds);
        }

        Assert.Equal([Cluster("alpha", 8080), Cluster("beta", 8081), Cluster("delta", 8083)], byNameHolds.Keys.Order(StringComparer.Ordinal));
    }

    /// <summary>What a stream opened now, subscribing to <paramref name="subscribe"/>, is sent: name to version.</summary>
    private static async Task<Dictionary<string, string>> FreshAsync(int port, string id, string[] subscribe)
    {
        await using var fresh = DeltaTestClient.Connect(port, $"sidecar~127.0.0.12~{id}.default~default.svc.cluster.local");
        await fresh.SendAsync(TypeUrls.ClusterLoadAssignment, subscribe: subscribe);
        var response = await fresh.ReceiveAsync();
        return response.Resources.ToDictionary(r => r.Name, r => r.Version, StringComparer.Ordinal);
    }

    private static bool Same(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var v) && v == p.Value);

    /// <summary>Applies and ACKs responses until none comes for 300 ms (at most 20).</summary>
    private static async Task DrainAsync(DeltaTestClient client, Dictionary<string, string> holds)
    {
        for (var i = 0; i < 20; i++)
        {
            DeltaDiscoveryResponse response;
            try
            {
                response = await client.ReceiveAsync(TimeSpan.FromMilliseconds(300));
            }
            catch (TimeoutException)
            {
                return;
            }

            Apply(response, holds);
            await client.AckAsync(response);
        }
    }

    private static void Apply(DeltaDiscoveryResponse response, Dictionary<string, string> holds)
    {
        foreach (var resource in response.Resources)
        {
            holds[resource.Name] = resource.Version;
        }

        foreach (var name in response.RemovedResources)
        {
            holds.Remove(name);
        }
    }
}
