using System.Text.Json.Nodes;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Mesh.Orleans.Tests.Golden;

/// <summary>
/// Golden scenarios: realistic Istio inputs served for real, each resource a proxy is sent
/// compared whole with the Envoy JSON checked in beside the input, which was written from
/// Istio's and Envoy's documentation (Istio's traffic-management tasks and the names and shapes
/// of <c>pilot/pkg/networking/core</c>; Envoy's API reference for the fields), not copied from
/// the output. A difference is a bug in the translation or in the golden, decided by those docs;
/// there is no switch that rewrites goldens from the output. See <see cref="GoldenScenario"/> for
/// a scenario's files: adding one is a folder with <c>input.yaml</c> and <c>expected/*.json</c>.
/// </summary>
/// <remarks>
/// The goldens hold what the project serves of Istio's shapes (README, "What it serves"), not
/// the parts of istiod's output that only feed its own telemetry and tooling: cluster and route
/// <c>metadata</c> (<c>istio</c> config paths), tracing <c>decorator</c>s, <c>alt_stat_name</c>,
/// the metadata-exchange and stats filters, access logs, and mTLS transport sockets (no mTLS yet).
/// Virtual host domains carry the <c>:port</c> forms (Istio before its
/// <c>ignore_port_in_host_matching</c>), and are compared in any order, as Envoy reads them.
/// </remarks>
[Trait("Category", "EndToEnd")]
[Collection(GoldenCollection.Name)]
public sealed class GoldenTests(GoldenMesh mesh, EnvoyValidation validation, ITestOutputHelper output)
    : IClassFixture<GoldenMesh>, IClassFixture<EnvoyValidation>
{
    /// <summary>Every scenario folder under <c>Tests/Golden</c>.</summary>
    public static TheoryData<string> Scenarios()
    {
        var data = new TheoryData<string>();
        foreach (var name in GoldenScenario.Names())
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void EveryScenario_HasAnInputAndExpectedResources()
    {
        var names = GoldenScenario.Names();

        Assert.True(names.Count >= 6, $"only {names.Count} golden scenarios: {string.Join(", ", names)}");
        Assert.All(names, name => Assert.NotEmpty(GoldenScenario.Load(name).Expected));
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task ServedResources_EqualTheGoldens(string name)
    {
        var scenario = GoldenScenario.Load(name);

        var served = await mesh.ServeAsync(scenario);

        var failures = Differences(scenario.Expected, served, output.WriteLine);

        output.WriteLine($"{scenario.Expected.Count} resources compared");
        Assert.True(failures.Count == 0, $"scenario {name} differs from its goldens:\n" + string.Join("\n", failures));
    }

    [Fact]
    public async Task AGoldenThatDiffers_InOneField_OrByOneResource_IsCaught()
    {
        var scenario = GoldenScenario.Load("subsets-split");
        var served = await mesh.ServeAsync(scenario);
        Assert.Empty(Differences(scenario.Expected, served, _ => { }));

        var routes = scenario.Expected.Single(r => r.Name == "9080");
        var tampered = routes.Json.DeepClone();
        tampered["virtual_hosts"]![0]!["routes"]![0]!["route"]!["weighted_clusters"]!["clusters"]![0]!["weight"] = 70;
        var missing = routes with { Name = "8080", Json = JsonNode.Parse("""{"name": "8080"}""")! };

        var differences = Differences([routes with { Json = tampered }, missing], served, _ => { });

        Assert.Equal(
            ["routes.json 9080: $.virtual_hosts[0].routes[0].route.weighted_clusters.clusters[0].weight: expected 70, served 80", "routes.json 8080: not served (served: 9080)"],
            differences);
    }

    /// <summary>Each difference between the goldens and what was served, naming the file, the resource and the path.</summary>
    private static List<string> Differences(IEnumerable<GoldenResource> goldens, IReadOnlyDictionary<string, IReadOnlyDictionary<string, Google.Protobuf.WellKnownTypes.Any>> served, Action<string> log)
    {
        var failures = new List<string>();
        foreach (var expected in goldens)
        {
            if (!served[expected.TypeUrl].TryGetValue(expected.Name, out var resource))
            {
                failures.Add($"{expected.File} {expected.Name}: not served (served: {string.Join(", ", served[expected.TypeUrl].Keys.Order(StringComparer.Ordinal))})");
                continue;
            }

            var actual = JsonNode.Parse(EnvoyJson.Format(resource));
            var before = failures.Count;
            foreach (var difference in JsonTreeDiff.Compare(expected.Json, actual))
            {
                failures.Add($"{expected.File} {expected.Name}: {difference}");
            }

            if (failures.Count > before)
            {
                log($"served {expected.Name}:\n{actual}");
            }
        }

        return failures;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task EveryResourceServed_PassesEnvoysValidateRules(string name)
    {
        var scenario = GoldenScenario.Load(name);
        var served = await mesh.ServeAsync(scenario);
        var before = validation.CheckedRules;

        var failures = new List<string>();
        var count = 0;
        foreach (var (typeUrl, resources) in served)
        {
            foreach (var (resourceName, resource) in resources)
            {
                count++;
                foreach (var violation in await validation.ValidateAsync(resource.TypeUrl, resource.Value))
                {
                    failures.Add($"{typeUrl[TypeUrls.Prefix.Length..]} {resourceName}: {violation}");
                }
            }
        }

        output.WriteLine($"{count} resources checked, {validation.CheckedRules - before} rules evaluated");
        Assert.True(failures.Count == 0, $"scenario {name}: served resources Envoy would NACK:\n" + string.Join("\n", failures));
        Assert.NotEmpty(served[TypeUrls.Cluster]);
        Assert.NotEmpty(served[TypeUrls.Listener]);
        Assert.True(validation.CheckedRules - before >= 5 * count, $"only {validation.CheckedRules - before} rules were evaluated for {count} resources");
    }
}
