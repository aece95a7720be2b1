using System.Net;
using Mesh.Orleans.Grains;
using Mesh.Orleans.Xds.Frontend;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;

namespace Mesh.Orleans.Silo;

/// <summary>
/// How a process finds the rest of its deployment and where grain state lives, chosen from the
/// options: with <c>--redis</c>, Orleans membership and grain storage in Redis (several silos and
/// frontends, on any hosts); without it, localhost clustering and memory (one silo, its frontend
/// beside it or at its gateway port).
/// </summary>
public static class MeshClustering
{
    /// <summary>The configuration section bound to Orleans' <see cref="ClusterMembershipOptions"/> (its failure detector).</summary>
    public const string MembershipSection = "Mesh:Membership";

    /// <summary>A silo's membership and the grain storage <see cref="GrainStorage.Mesh"/>.</summary>
    public static ISiloBuilder UseMeshClustering(this ISiloBuilder silo, MeshHostOptions host, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(configuration);
        if (host.Redis is not { } redis)
        {
            silo.UseLocalhostClustering(host.SiloPort, host.GatewayPort);
            silo.AddMemoryGrainStorage(GrainStorage.Mesh);
            return silo;
        }

        // Several silos: membership and the state that must outlive a silo in Redis.
        silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (host.ServiceId, host.ServiceId));
        silo.ConfigureEndpoints(IPAddress.Parse(host.AdvertiseAddress), host.SiloPort, host.GatewayPort, listenOnAnyHostAddress: false);
        silo.UseRedisClustering(o => o.ConfigurationOptions = RedisConfiguration.Parse(redis));

        // How soon a dead silo is declared dead (its grains move then): Orleans' failure
        // detector, tunable with Orleans' own names under Mesh:Membership.
        silo.Configure<ClusterMembershipOptions>(configuration.GetSection(MembershipSection));
        silo.AddRedisGrainStorage(GrainStorage.Mesh, o => o.Configure<Serializer>((storage, serializer) =>
        {
            storage.ConfigurationOptions = RedisConfiguration.ForGrainStorage(redis);
            storage.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
        }));

        // In a pod (the Helm chart gives it POD_NAME, POD_NAMESPACE, POD_IP and the ORLEANS_* ids
        // from the downward API): Orleans' Kubernetes hosting names the silo after its pod and
        // deletes the pods of silos membership declared dead.
        if (Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } && Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 })
        {
            silo.UseKubernetesHosting();
        }

        return silo;
    }

    /// <summary>A stand-alone frontend's way to the silos' gateways: Redis's membership, else the one local silo's gateway port.</summary>
    public static IClientBuilder UseMeshClustering(this IClientBuilder client, MeshHostOptions host)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(host);
        if (host.Redis is not { } redis)
        {
            client.UseLocalhostClustering(host.GatewayPort);
            return client;
        }

        client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (host.ServiceId, host.ServiceId));
        client.UseRedisClustering(o => o.ConfigurationOptions = RedisConfiguration.Parse(redis));

        // Silos come and go: learn new gateways within seconds, and when the set of gateways
        // changes, renew every scope subscription at once (updates sent while no gateway routed
        // them are lost; grains on a silo that left are a new generation).
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        client.AddGatewayCountChangedHandler(sp => (_, _) => sp.GetRequiredService<SubscriptionRenewals>().RenewNow());
        return client;
    }
}
