using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Envoy.Config.Cluster.V3;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Silo;

/// <summary>
/// The product as operators start it: the Silo executable with its command line, in its own
/// process, on 127.0.0.1 ports it picks itself.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class SiloProcessTests
{
    [Fact]
    public async Task NoConfigFlag_ServesTheBundledSampleMesh()
    {
        await using var silo = await SiloProcess.StartAsync([]);
        await using var client = AdsTestClient.Connect(silo.XdsPort);

        await client.SendAsync(TypeUrls.Cluster);
        var clusters = AdsTestClient.Unpack<Cluster>(await client.ReceiveAsync()).Select(c => c.Name).Order(StringComparer.Ordinal);

        Assert.Equal(
        [
            "outbound|27017||mongodb.bookinfo.svc.cluster.local",
            "outbound|50051||greeter.demo.svc.cluster.local",
            "outbound|80||httpbin.example.org",
            "outbound|9080|v1|ratings.bookinfo.svc.cluster.local",
            "outbound|9080|v1|reviews.bookinfo.svc.cluster.local",
            "outbound|9080|v2|reviews.bookinfo.svc.cluster.local",
            "outbound|9080|v3|reviews.bookinfo.svc.cluster.local",
            "outbound|9080||details.bookinfo.svc.cluster.local",
            "outbound|9080||productpage.bookinfo.svc.cluster.local",
            "outbound|9080||ratings.bookinfo.svc.cluster.local",
            "outbound|9080||reviews-v1.demo.svc.cluster.local",
            "outbound|9080||reviews-v2.demo.svc.cluster.local",
            "outbound|9080||reviews.bookinfo.svc.cluster.local",
            "outbound|9080||reviews.demo.svc.cluster.local",
        ], clusters);
    }

    [Fact]
    public async Task ConfigDirectoryWithBadObjects_ServesTheGoodOnes_AndDebugConfigListsTheRejectedWithReasons()
    {
        var directory = Directory.CreateTempSubdirectory("mesh-cli-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "good.yaml"), MeshYaml.Service("echo", 7000));
            await File.WriteAllTextAsync(Path.Combine(directory, "bad.yaml"), "apiVersion: v1\nkind: Service\nmetadata: {name: broken}\nspec: {ports: [{port: 0}]}\n---\nkind: Widget\n");
            await File.WriteAllTextAsync(Path.Combine(directory, "notyaml.yml"), "{{{");
            await using var silo = await SiloProcess.StartAsync(["--config", directory]);
            await using var client = AdsTestClient.Connect(silo.XdsPort);
            await client.SendAsync(TypeUrls.Cluster);
            var clusters = AdsTestClient.Unpack<Cluster>(await client.ReceiveAsync());

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{silo.DebugPort}") };
            var config = await http.GetFromJsonAsync<JsonObject>("/debug/config");

            Assert.Equal("outbound|7000||echo.default.svc.cluster.local", Assert.Single(clusters).Name);
            var rejected = config!["clusters"]![0]!["rejected"]!.AsArray();
            Assert.Contains(rejected, r => (string)r!["source"]! == "bad.yaml" && (string)r["name"]! == "broken" && (string)r["field"]! == "spec.ports[0].port");
            Assert.Contains(rejected, r => (string)r!["source"]! == "bad.yaml" && (string)r["field"]! == "apiVersion");
            Assert.Contains(rejected, r => (string)r!["source"]! == "notyaml.yml" && ((string)r["reason"]!).Contains("YAML", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task SiloAndFrontendRoles_RunAsTwoProcesses_AndTheFrontendServesTheSilosMesh()
    {
        var gateway = TestPorts.Free();
        await using var silo = await SiloProcess.StartAsync(["--role", "silo"], gateway, expectXds: false);
        await using var frontend = await SiloProcess.StartAsync(["--role", "frontend"], gateway, expectXds: true);
        await using var client = AdsTestClient.Connect(frontend.XdsPort);

        await client.SendAsync(TypeUrls.Cluster);
        var clusters = AdsTestClient.Unpack<Cluster>(await client.ReceiveAsync());
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{frontend.DebugPort}") };
        var stats = await http.GetFromJsonAsync<JsonObject>("/debug/stats?gc");
        using var siloHttp = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{silo.DebugPort}") };
        var siloStats = await siloHttp.GetFromJsonAsync<JsonObject>("/debug/stats");

        Assert.Equal(14, clusters.Count); // 13 of Services, and bookinfo's egress ServiceEntry.
        Assert.Equal(1, (int)stats!["streams"]!);
        Assert.True((long)stats["resourcesBuilt"]! >= 16);
        Assert.True((long)siloStats!["rssBytes"]! > 0);
        Assert.True((int)siloStats["grainActivations"]! > 0);
    }

    [Fact]
    public async Task UnknownFlag_ExitsWithUsage()
    {
        using var process = SiloProcess.Launch(["--no-such-flag", "x"]);
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("unknown option", stderr, StringComparison.Ordinal);
        Assert.Contains("--config DIR", stderr, StringComparison.Ordinal);
    }
}
