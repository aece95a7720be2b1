using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Registry;
using static Mesh.Orleans.Tests.Grains.Translation.ModelBuilders;

namespace Mesh.Orleans.Tests.Grains.Registry;

/// <summary>
/// The index a ClusterGrain keeps, checked against <see cref="DeclarationInputs"/> (every
/// input computed from the whole declaration in one pass) and <see cref="ConfigAnalyzer.Analyze"/>
/// after every change of long random sequences: each hostname's input is the same, and a
/// change never leaves out a hostname whose input it changed.
/// </summary>
public sealed class ClusterIndexTests
{
    private static readonly string[] s_names = ["a", "b", "c", "d", "e", "f"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void RandomChanges_KeepEveryInputAndWarningAsTheWholeDeclarationGivesThem(int seed)
    {
        var random = new Random(seed);
        var index = new ClusterIndex();
        var held = new Dictionary<MeshObjectKey, object>();
        var before = DeclarationInputs.Build(ClusterConfig.Empty);
        for (var step = 0; step < 400; step++)
        {
            var upserts = new List<object>();
            var deletes = new List<MeshObjectKey>();
            for (var n = random.Next(1, 4); n > 0; n--)
            {
                if (held.Count > 0 && random.Next(4) == 0)
                {
                    var key = held.Keys.ElementAt(random.Next(held.Count));
                    if (!deletes.Contains(key) && !upserts.Any(u => MeshObjectKey.Of(u) == key))
                    {
                        deletes.Add(key);
                    }
                }
                else
                {
                    var value = RandomObject(random);
                    var key = MeshObjectKey.Of(value);
                    if (!deletes.Contains(key) && !upserts.Any(u => MeshObjectKey.Of(u) == key))
                    {
                        upserts.Add(value);
                    }
                }
            }

            HashSet<string> touched;
            if (random.Next(20) == 0)
            {
                // Now and then, everything at once, as after a reactivation.
                foreach (var key in deletes)
                {
                    held.Remove(key);
                }

                foreach (var value in upserts)
                {
                    held[MeshObjectKey.Of(value)] = value;
                }

                touched = index.Replace(held.Values.ToList());
            }
            else
            {
                touched = index.Change(upserts, deletes);
                foreach (var key in deletes)
                {
                    held.Remove(key);
                }

                foreach (var value in upserts)
                {
                    held[MeshObjectKey.Of(value)] = value;
                }
            }

            var config = ClusterConfig.Of(held.Values, []);
            var after = DeclarationInputs.Build(config);
            foreach (var host in after.Keys.Union(before.Keys))
            {
                var expected = after.GetValueOrDefault(host);
                var changed = Hash(before.GetValueOrDefault(host)) != Hash(expected);
                Assert.True(!changed || touched.Contains(host), $"seed {seed}, step {step}: the input of {host} changed but the change did not name it");
                Assert.Equal(Hash(expected), Hash(index.Input(host)));
            }

            foreach (var host in touched.Where(h => !after.ContainsKey(h)))
            {
                Assert.Null(index.Input(host));
            }

            Assert.Equal(ConfigAnalyzer.Analyze(config), index.Warnings);
            Assert.Equal(held.Count, index.Count);
            before = after;
        }
    }

    [Fact]
    public void ChangeOfOneSlice_InALargeCluster_TouchesOnlyItsHostname()
    {
        var index = new ClusterIndex();
        var objects = new List<object>();
        for (var i = 0; i < 1_000; i++)
        {
            objects.Add(Service("svc-" + i, 8080));
            objects.Add(Slice("svc-" + i + "-1", "svc-" + i, 8080, ("127.0.0.1", true, null)));
        }

        objects.Add(VirtualService("svc-1.default.svc.cluster.local", Route([], null, ("svc-2.default.svc.cluster.local", null, 100))));
        Assert.Equal(1_000, index.Replace(objects).Count);

        var touched = index.Change([Slice("svc-7-1", "svc-7", 8080, ("127.0.0.2", true, null))], []);

        Assert.Equal(["svc-7.default.svc.cluster.local"], touched);
        Assert.Equal("127.0.0.2", index.Input("svc-7.default.svc.cluster.local")!.EndpointSlices.Single().Endpoints.Single().Addresses.Single());
    }

    [Fact]
    public void SameInstanceHandedAgain_TouchesNothing()
    {
        var index = new ClusterIndex();
        var service = Service("echo", 7000);
        index.Change([service], []);

        Assert.Empty(index.Change([service], []));
        Assert.Empty(index.Replace([service]));
    }

    [Fact]
    public void DestinationServiceChangingItsPorts_TouchesTheHostsThatRouteToIt()
    {
        var index = new ClusterIndex();
        index.Change([Service("front", 80), Service("back", 9000), VirtualService("front.default.svc.cluster.local", Route([], null, ("back.default.svc.cluster.local", null, 100)))], []);

        var touched = index.Change([Service("back", 9001)], []);

        Assert.Contains("front.default.svc.cluster.local", touched);
        Assert.Equal([9001], index.Input("front.default.svc.cluster.local")!.DestinationPorts["back.default.svc.cluster.local"]);
    }

    [Fact]
    public void ServiceEntryHosts_AreHostnames_ThatVirtualServicesAndDestinationRulesBindTo_WithoutDanglingWarnings()
    {
        var index = new ClusterIndex();
        var entry = Entry("ext", ["api.example.com"], "DNS", [new ServiceEntryPort(80, "http", "HTTP", null)], []);
        var rule = new DestinationRuleSpec("default", "api", "api.example.com", [new SubsetSpec("v1", new Dictionary<string, string> { ["version"] = "v1" }, null)], null, [], null, null);
        var front = VirtualService("front.default.svc.cluster.local", Route([], null, ("api.example.com", null, 100)));
        var bound = VirtualService("api.example.com", Route([], TimeSpan.FromSeconds(3), ("api.example.com", 80, 100)));

        var touched = index.Change([Service("front", 8080), entry, rule, front, bound], []);

        Assert.Contains("api.example.com", touched);
        var input = index.Input("api.example.com")!;
        Assert.Same(entry, input.ServiceEntry);
        Assert.Null(input.Service);
        Assert.Equal([bound], input.VirtualServices);
        Assert.Equal([rule], input.DestinationRules!);
        Assert.Equal([80], index.Input("front.default.svc.cluster.local")!.DestinationPorts["api.example.com"]);
        Assert.Empty(index.Warnings);

        // Without the entry, the same objects dangle.
        touched = index.Change([], [MeshObjectKey.Of(entry)]);

        Assert.Contains("api.example.com", touched);
        Assert.Contains("front.default.svc.cluster.local", touched);
        Assert.Null(index.Input("api.example.com")!.ServiceEntry);
        Assert.Contains(index.Warnings, w => w.Kind == "DestinationRule" && w.Field == "spec.host");
        Assert.Contains(index.Warnings, w => w.Kind == "VirtualService" && w.Name == bound.Name && w.Field == "spec.hosts[0]");
    }

    [Fact]
    public void AKubernetesServiceOfTheSameHostname_WinsOverAServiceEntry_AndOfTwoEntriesTheFirstByName_EachShadowedOneWarned()
    {
        var index = new ClusterIndex();
        var host = "echo.default.svc.cluster.local";
        var squatter = Entry("squatter", [host, "b.example.com"], "STATIC", [new ServiceEntryPort(9000, "http", "HTTP", null)], []);
        var late = Entry("z-late", ["b.example.com"], "STATIC", [new ServiceEntryPort(9001, "http", "HTTP", null)], []);
        index.Change([squatter, late], []);
        Assert.Same(squatter, index.Input(host)!.ServiceEntry);
        Assert.Same(squatter, index.Input("b.example.com")!.ServiceEntry);
        var shadowed = Assert.Single(index.Warnings);
        Assert.Equal(("ServiceEntry", "z-late", "spec.hosts[0]"), (shadowed.Kind, shadowed.Name, shadowed.Field));

        var touched = index.Change([Service("echo", 7000)], []);

        Assert.Contains(host, touched);
        var input = index.Input(host)!;
        Assert.NotNull(input.Service);
        Assert.Null(input.ServiceEntry);
        Assert.Contains(index.Warnings, w => w.Name == "squatter" && w.Field == "spec.hosts[0]" && w.Message.Contains("Kubernetes Service", StringComparison.Ordinal));
    }

    [Fact]
    public void AWorkloadSelector_MakesTheSelectedPodsOfItsNamespaceTheEndpoints_AndFollowsTheirLabels()
    {
        var index = new ClusterIndex();
        var entry = Entry("vms", ["vm.example.com"], "STATIC", [new ServiceEntryPort(80, "http", "HTTP", null)], []) with
        {
            WorkloadSelector = new Dictionary<string, string> { ["app"] = "vm" },
        };
        index.Change([
            entry,
            new MeshPod("default", "vm-b", new Dictionary<string, string> { ["app"] = "vm" }, "127.4.0.2"),
            new MeshPod("default", "vm-a", new Dictionary<string, string> { ["app"] = "vm", ["version"] = "v1" }, "127.4.0.1"),
            new MeshPod("default", "web", new Dictionary<string, string> { ["app"] = "web" }, "127.4.0.3"),
            new MeshPod("other", "vm-elsewhere", new Dictionary<string, string> { ["app"] = "vm" }, "127.4.0.4"),
            new MeshPod("default", "vm-pending", new Dictionary<string, string> { ["app"] = "vm" }),
        ], []);

        Assert.Equal(["127.4.0.1", "127.4.0.2"], index.Input("vm.example.com")!.ServiceEntry!.Endpoints.Select(e => e.Address));
        Assert.Equal("v1", index.Input("vm.example.com")!.ServiceEntry!.Endpoints[0].Labels["version"]);

        var touched = index.Change([new MeshPod("default", "web", new Dictionary<string, string> { ["app"] = "vm" }, "127.4.0.3")], []);

        Assert.Equal(["vm.example.com"], touched);
        Assert.Equal(["127.4.0.1", "127.4.0.2", "127.4.0.3"], index.Input("vm.example.com")!.ServiceEntry!.Endpoints.Select(e => e.Address));
    }

    private static ServiceEntrySpec Entry(string name, IReadOnlyList<string> hosts, string resolution, IReadOnlyList<ServiceEntryPort> ports, IReadOnlyList<WorkloadEntrySpec> endpoints) =>
        new("default", name, hosts, [], ports, "MESH_EXTERNAL", resolution, endpoints, null, [], []);

    private static object RandomObject(Random random)
    {
        // Now and then a host only ServiceEntries declare.
        string Host() => random.Next(5) == 0 ? $"ext-{random.Next(3)}.example.com" : s_names[random.Next(s_names.Length)] + ".default.svc.cluster.local";
        int Port() => 8000 + random.Next(3);
        string? Subset() => random.Next(3) == 0 ? null : "v" + random.Next(1, 5);
        switch (random.Next(7))
        {
            case 6:
                var entryHosts = Enumerable.Range(0, random.Next(1, 3)).Select(_ => Host()).Distinct().ToList();
                var entryPorts = Enumerable.Range(0, random.Next(1, 3)).Select(_ => Port()).Distinct().Select(p => new ServiceEntryPort(p, "http-" + p, "HTTP", null)).ToList();
                var selected = random.Next(2) == 0;
                return new ServiceEntrySpec(random.Next(3) == 0 ? "other" : "default", "se-" + random.Next(4), entryHosts, [], entryPorts, "MESH_EXTERNAL",
                    selected ? "STATIC" : "DNS",
                    selected ? [] : [new WorkloadEntrySpec($"127.0.1.{random.Next(1, 9)}", new Dictionary<string, int>(), new Dictionary<string, string> { ["version"] = "v" + random.Next(1, 4) }, null, null, null, null)],
                    selected ? new Dictionary<string, string> { ["version"] = "v" + random.Next(1, 4) } : null,
                    [], []);
            case 0:
                var ports = Enumerable.Range(0, random.Next(1, 3)).Select(_ => Port()).Distinct().ToArray();
                return Service(s_names[random.Next(s_names.Length)], ports);
            case 1:
                var service = s_names[random.Next(s_names.Length)];
                var endpoints = Enumerable.Range(0, random.Next(0, 3)).Select(e => ($"127.0.0.{random.Next(1, 250)}", random.Next(4) > 0, (string?)null)).ToArray();
                var slice = Slice($"{service}-{random.Next(2)}", service, Port(), endpoints);
                return slice with
                {
                    // Most endpoints name a pod (some without the namespace, which means the slice's).
                    Endpoints = slice.Endpoints.Select(e => random.Next(4) == 0 ? e : e with { TargetRef = $"Pod/{(random.Next(3) == 0 ? "" : "default")}/p{random.Next(6)}" }).ToList(),
                };
            case 3:
                return new MeshPod("default", "p" + random.Next(6), new Dictionary<string, string> { ["app"] = "x", ["version"] = "v" + random.Next(1, 4) },
                    random.Next(4) == 0 ? null : $"127.0.2.{random.Next(1, 9)}");
            case 4:
                string[] patterns = ["a", "b", "c", "*.default.svc.cluster.local", "*.svc.cluster.local", "*", "ghost", "b.default.svc.cluster.local"];
                string[] namespaces = ["default", "default", "istio-system", "other"];
                var ns = namespaces[random.Next(namespaces.Length)];
                var subsets = Enumerable.Range(0, random.Next(0, 3))
                    .Select(_ => "v" + random.Next(1, 4))
                    .Distinct()
                    .Select(name => new SubsetSpec(name, new Dictionary<string, string> { ["version"] = name }, null))
                    .ToList();
                var policy = random.Next(2) == 0 ? null : new TrafficPolicySpec(null, new LoadBalancerSpec("RANDOM", null, null, null, null, null), null, null, null, []);
                return new DestinationRuleSpec(ns, "dr-" + random.Next(5), MeshNames.ResolveHost(patterns[random.Next(patterns.Length)], ns), subsets, policy, [],
                    random.Next(10) == 0 ? new Dictionary<string, string> { ["app"] = "client" } : null,
                    random.Next(3) == 0 ? null : DateTimeOffset.UnixEpoch.AddHours(random.Next(3)));
            default:
                var hosts = Enumerable.Range(0, random.Next(1, 3)).Select(_ => Host()).Distinct().ToList();
                var http = Enumerable.Range(0, random.Next(1, 3)).Select(_ =>
                {
                    var match = random.Next(3) == 0 ? [new HttpMatchSpec(null, [], Port())] : Array.Empty<HttpMatchSpec>();
                    var destinations = Enumerable.Range(0, random.Next(1, 3))
                        .Select(_ => (Host(), random.Next(2) == 0 ? (int?)null : Port(), 50))
                        .ToArray();
                    var route = Route(match, null, destinations);
                    return route with { Route = route.Route.Select(d => d with { Subset = Subset() }).ToList() };
                }).ToList();
                return new VirtualServiceSpec("default", "vs-" + random.Next(4), hosts, http);
        }
    }

    private static string? Hash(ServiceInput? input) => input is null ? null : InputHash.Of(input);
}
