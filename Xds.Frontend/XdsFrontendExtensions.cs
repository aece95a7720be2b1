using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Security;
using Mesh.Orleans.Xds.Frontend.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>Registers and maps the xDS frontend.</summary>
public static class XdsFrontendExtensions
{
    /// <summary>
    /// Adds the ADS services, the process-wide resource cache for the default scope and its
    /// subscription, talking to grains through <see cref="OrleansMeshStateClient"/> unless
    /// another <see cref="IMeshStateClient"/> is registered.
    /// </summary>
    public static IServiceCollection AddXdsFrontend(this IServiceCollection services)
    {
        services.AddGrpc(o =>
        {
            o.EnableDetailedErrors = false;
            o.MaxReceiveMessageSize = 4 * 1024 * 1024;
            o.MaxSendMessageSize = null;
        });
        services.AddOptions<XdsFrontendOptions>().BindConfiguration(XdsFrontendOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IMeshStateClient, OrleansMeshStateClient>();
        var interner = new ResourceInterner();
        services.AddSingleton(interner);
        services.AddSingleton(new ResourceCache(ScopeNames.Default, interner));
        services.AddSingleton<SubscriptionRenewals>();
        services.AddSingleton<ScopeCaches>();
        services.AddSingleton<StreamRegistry>();
        services.AddSingleton<XdsMetrics>();

        // Made at start (after the metrics exporter's own start), so the streams record into it from the first one.
        services.AddHostedService(sp => new XdsMetrics.Starter(sp.GetRequiredService<XdsMetrics>()));
        services.AddSingleton<Internal.StreamFactory>();

        // The TLS xDS port: caller authentication, SDS and the CA service.
        services.AddOptions<MeshSecurityOptions>().BindConfiguration(MeshSecurityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IMeshCertificateClient, OrleansMeshCertificateClient>();
        services.TryAddSingleton<ITokenReviewer>(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<MeshSecurityOptions>>().Value.TokenFile is { } tokenFile
            ? new StaticTokenFile(tokenFile, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<StaticTokenFile>>())
            : new NoTokenReviewer());
        services.AddSingleton<MeshTls>();
        services.AddHostedService(sp => sp.GetRequiredService<MeshTls>());
        services.AddSingleton<CallerAuthenticator>();
        services.AddSingleton<GatewayCredentials>();
        services.AddHostedService(sp => sp.GetRequiredService<GatewayCredentials>());
        services.AddSingleton(sp => new Internal.StreamSecurity(
            sp.GetRequiredService<CallerAuthenticator>(),
            sp.GetRequiredService<IMeshCertificateClient>(),
            sp.GetRequiredService<MeshTls>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<MeshSecurityOptions>>().Value.WorkloadCertLifetime,
            sp.GetRequiredService<GatewayCredentials>()));
        services.AddHostedService<Internal.StreamDrain>();
        services.AddHostedService<ScopeSubscriber>();
        services.AddHostedService<ProxyReporter>();
        return services;
    }

    /// <summary>Maps the ADS and per-type discovery gRPC services (SotW and Delta), SDS, the CA and CSDS.</summary>
    public static IEndpointRouteBuilder MapXdsFrontend(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<AggregatedDiscoveryServiceImpl>();
        endpoints.MapGrpcService<ClusterDiscoveryServiceImpl>();
        endpoints.MapGrpcService<EndpointDiscoveryServiceImpl>();
        endpoints.MapGrpcService<ListenerDiscoveryServiceImpl>();
        endpoints.MapGrpcService<RouteDiscoveryServiceImpl>();
        endpoints.MapGrpcService<SecretDiscoveryServiceImpl>();
        endpoints.MapGrpcService<IstioCertificateServiceImpl>();
        endpoints.MapGrpcService<Debug.ClientStatusDiscoveryServiceImpl>();
        return endpoints;
    }
}
