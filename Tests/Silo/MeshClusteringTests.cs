using Mesh.Orleans.Grains;
using Mesh.Orleans.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Clustering.Redis;
using Orleans.Configuration;
using Orleans.Persistence;
using Orleans.Storage;
using StackExchange.Redis;

namespace Mesh.Orleans.Tests.Silo;

/// <summary>
/// Clustering and grain storage chosen from the options, without starting anything: localhost and
/// memory by default; with <c>--redis</c>, Redis membership under the service id, the failure
/// detector from <c>Mesh:Membership</c>, and grain storage that fails fast.
/// </summary>
public sealed class MeshClusteringTests
{
    [Fact]
    public void WithoutRedis_ASiloClustersOnLocalhost_AndKeepsGrainStateInMemory()
    {
        var (services, provider) = Silo(new MeshHostOptions { SiloPort = 11113, GatewayPort = 30003 }, []);
        using (provider)
        {
            var endpoints = provider.GetRequiredService<IOptions<EndpointOptions>>().Value;
            Assert.Equal((System.Net.IPAddress.Loopback, 11113, 30003), (endpoints.AdvertisedIPAddress, endpoints.SiloPort, endpoints.GatewayPort));
            Assert.Null(provider.GetRequiredService<IOptions<RedisClusteringOptions>>().Value.ConfigurationOptions);
            Assert.Contains(services, d => d.IsKeyedService && Equals(d.ServiceKey, GrainStorage.Mesh) && d.ServiceType == typeof(IGrainStorage));
            Assert.Equal(TimeSpan.FromSeconds(5), provider.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value.ProbeTimeout);
        }
    }

    [Fact]
    public void WithRedis_ASiloJoinsRedisMembershipUnderTheServiceId_WithTheFailureDetectorOfMeshMembership_AndFailFastStorage()
    {
        var host = new MeshHostOptions { Redis = "127.0.0.1:6390", ServiceId = "prod-mesh", AdvertiseAddress = "10.1.2.3", SiloPort = 11112, GatewayPort = 30002 };
        var (services, provider) = Silo(host, new() { ["Mesh:Membership:ProbeTimeout"] = "00:00:02", ["Mesh:Membership:NumMissedProbesLimit"] = "4" });
        using (provider)
        {
            var cluster = provider.GetRequiredService<IOptions<ClusterOptions>>().Value;
            Assert.Equal(("prod-mesh", "prod-mesh"), (cluster.ClusterId, cluster.ServiceId));
            var endpoints = provider.GetRequiredService<IOptions<EndpointOptions>>().Value;
            Assert.Equal(("10.1.2.3", 11112, 30002), (endpoints.AdvertisedIPAddress.ToString(), endpoints.SiloPort, endpoints.GatewayPort));
            Assert.Equal("127.0.0.1:6390", Assert.Single(provider.GetRequiredService<IOptions<RedisClusteringOptions>>().Value.ConfigurationOptions!.EndPoints).ToString());
            var membership = provider.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value;
            Assert.Equal((TimeSpan.FromSeconds(2), 4), (membership.ProbeTimeout, membership.NumMissedProbesLimit));
            Assert.Contains(services, d => d.IsKeyedService && Equals(d.ServiceKey, GrainStorage.Mesh) && d.ServiceType == typeof(IGrainStorage));
            Assert.Same(BacklogPolicy.FailFast, provider.GetRequiredService<IOptionsMonitor<RedisStorageOptions>>().Get(GrainStorage.Mesh).ConfigurationOptions!.BacklogPolicy);
        }
    }

    [Fact]
    public void AFrontend_FindsGatewaysAtTheLocalGatewayPort_OrInRedisRefreshingEveryFiveSeconds()
    {
        var local = new HostApplicationBuilder();
        local.UseOrleansClient(client => client.UseMeshClustering(new MeshHostOptions { GatewayPort = 30005 }));
        using (var provider = local.Services.BuildServiceProvider())
        {
            Assert.Equal(30005, Assert.Single(provider.GetRequiredService<IOptions<StaticGatewayListProviderOptions>>().Value.Gateways).Port);
        }

        var redis = new HostApplicationBuilder();
        redis.UseOrleansClient(client => client.UseMeshClustering(new MeshHostOptions { Redis = "127.0.0.1:6390", ServiceId = "prod-mesh" }));
        using (var provider = redis.Services.BuildServiceProvider())
        {
            Assert.Equal("prod-mesh", provider.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId);
            Assert.Equal(TimeSpan.FromSeconds(5), provider.GetRequiredService<IOptions<GatewayOptions>>().Value.GatewayListRefreshPeriod);
            Assert.Equal("127.0.0.1:6390", Assert.Single(provider.GetRequiredService<IOptions<RedisClusteringOptions>>().Value.ConfigurationOptions!.EndPoints).ToString());
        }
    }

    private static (IServiceCollection Services, ServiceProvider Provider) Silo(MeshHostOptions host, Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = new HostApplicationBuilder();
        builder.UseOrleans(silo => silo.UseMeshClustering(host, configuration));
        return (builder.Services, builder.Services.BuildServiceProvider());
    }
}
