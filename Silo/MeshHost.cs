using System.Net;
using k8s;
using Mesh.Orleans.Grains;
using Mesh.Orleans.Silo.Debug;
using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Silo.Sources.Kubernetes;
using Mesh.Orleans.Xds.Frontend;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;

namespace Mesh.Orleans.Silo;

/// <summary>
/// Builds the control plane. By default one process: an Orleans silo with localhost
/// clustering and in-memory storage, the YAML directory source, and the xDS frontend
/// in-process. With <c>--role silo</c> or <c>--role frontend</c> the two halves run as separate
/// processes (the frontend an Orleans client of the silo's gateway), as a scaled-out
/// deployment runs them. Program and the tests both build the host here, so the tests run
/// what users run.
/// </summary>
public static class MeshHost
{
    /// <summary>
    /// Creates a builder from command-line configuration values (see <see cref="MeshCommandLine"/>).
    /// Throws <see cref="MeshStartupException"/> when a setting keeps the process from starting
    /// (see <see cref="StartupCheck"/>).
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(IReadOnlyDictionary<string, string?> configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Configuration.AddInMemoryCollection(configuration);
        if (StartupCheck.FindProblem(builder.Configuration) is { } problem)
        {
            throw new MeshStartupException(problem);
        }

        // Hosted services start in registration order: the silo first, then the source (whose
        // start loads the directory once, so the first proxy already sees it), then the frontend.
        var host = builder.Configuration.GetSection(MeshHostOptions.Section).Get<MeshHostOptions>() ?? new MeshHostOptions();
        var role = host.Role;
        var proxy = builder.Configuration.GetSection(ProxyGrainOptions.Section).Get<ProxyGrainOptions>() ?? new ProxyGrainOptions();
        if (role is MeshRole.All or MeshRole.Silo)
        {
            builder.UseOrleans(silo =>
            {
                silo.UseMeshClustering(host, builder.Configuration);

                // A ProxyGrain without open streams is collected after its idle timeout; the
                // collection quantum (1 min by default) must be short enough for that to hold.
                silo.Configure<GrainCollectionOptions>(collection =>
                {
                    collection.ClassSpecificCollectionAge[typeof(ProxyGrain).FullName!] = proxy.IdleTimeout;
                    if (proxy.IdleTimeout / 2 < collection.CollectionQuantum)
                    {
                        collection.CollectionQuantum = proxy.IdleTimeout / 2;
                    }
                });
            });
        }
        else
        {
            // A stand-alone frontend is an Orleans client of the silos' gateways: found in Redis's
            // membership, else the one local silo's.
            builder.UseOrleansClient(client => client.UseMeshClustering(host));
        }

        // Streams end at once on SIGTERM, so the stop is short; the host's shutdown timeout (30 s by
        // default) bounds it at the drain timeout, so nothing can hold the process much longer.
        var shutdown = builder.Configuration.GetSection(ShutdownOptions.Section).Get<ShutdownOptions>() ?? new ShutdownOptions();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdown.DrainTimeout);
        builder.Services.AddOptions<ShutdownOptions>().BindConfiguration(ShutdownOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<MeshHostOptions>().BindConfiguration(MeshHostOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<ProxyGrainOptions>().BindConfiguration(ProxyGrainOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<MeshTrafficOptions>().BindConfiguration(MeshTrafficOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<MeshScopingOptions>().BindConfiguration(MeshScopingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<Grains.Interfaces.Security.MeshSecurityOptions>().BindConfiguration(Grains.Interfaces.Security.MeshSecurityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<YamlSourceOptions>().BindConfiguration(YamlSourceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Debug.OrleansMessageCounts>();
        builder.Services.AddSingleton<MeshEndpoints>();

        // Prometheus metrics on the debug port (/metrics): the mesh's own meters and Orleans'.
        // Counters keep Istio's names (no _total suffix added), as istiod exports them.
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(MeshMetricsNames.Meters)
            .AddPrometheusExporter(prometheus =>
            {
                prometheus.DisableTotalNameSuffixForCounters = true;

                // Every scrape reads the meters now (the exporter's default serves a copy for 300 ms).
                prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
            }));
        builder.Services.AddOptions<KubernetesSourceOptions>().BindConfiguration(KubernetesSourceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (role is MeshRole.All or MeshRole.Silo)
        {
            // Which member clusters this deployment reads: a clusters file, one kubeconfig, the
            // pod's own cluster, and/or the YAML directory (checked by StartupCheck already).
            var clusters = MemberClusters.From(builder.Configuration, KubernetesClientConfiguration.IsInCluster);
            builder.Services.AddSingleton(clusters);
            builder.Services.TryAddSingleton<IClusterConfigSink, GrainClusterConfigSink>();
            if (clusters.ReadsDirectory)
            {
                // Silos sharing a deployment take turns reading the directory; one alone always reads it.
                builder.Services.AddSingleton<SourceLease>(sp => host.Redis is null
                    ? new SourceLease.Alone()
                    : new SourceLease.Granted(sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<YamlSourceOptions>>().Value.LeaseDuration));
                builder.Services.AddSingleton<YamlDirectorySource>();
                builder.Services.AddHostedService(sp => sp.GetRequiredService<YamlDirectorySource>());
            }

            if (clusters.Kubernetes.Count > 0)
            {
                builder.Services.AddHostedService<MemberClusterKeeper>();
            }
        }

        if (role is MeshRole.All or MeshRole.Frontend)
        {
            // Bearer tokens on the TLS port: the token file when given, else TokenReview in the
            // first Kubernetes member cluster (the one this deployment runs in), else none.
            var security = builder.Configuration.GetSection(Grains.Interfaces.Security.MeshSecurityOptions.Section).Get<Grains.Interfaces.Security.MeshSecurityOptions>() ?? new Grains.Interfaces.Security.MeshSecurityOptions();
            if (security.TokenFile is null && MemberClusters.From(builder.Configuration, KubernetesClientConfiguration.IsInCluster).Kubernetes is [var local, ..])
            {
                builder.Services.AddSingleton<Xds.Frontend.Security.ITokenReviewer>(sp => new Security.KubernetesTokenReviewer(
                    () => KubernetesSource.Connect(local),
                    security.TokenAudience,
                    sp.GetRequiredService<ILogger<Security.KubernetesTokenReviewer>>()));
            }

            builder.Services.AddXdsFrontend();
        }

        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var endpoints = kestrel.ApplicationServices.GetRequiredService<MeshEndpoints>();
            // Plaintext gRPC needs HTTP/2 only: with Http1AndHttp2 a cleartext client gets HTTP_1_1_REQUIRED.
            if (role is MeshRole.All or MeshRole.Frontend)
            {
                if (!host.NoPlaintextXds)
                {
                    kestrel.Listen(IPAddress.Parse(host.XdsAddress), host.XdsPort, listen =>
                    {
                        listen.Protocols = HttpProtocols.Http2;
                        endpoints.Xds = listen;
                    });
                }

                kestrel.Listen(IPAddress.Parse(host.XdsAddress), host.XdsTlsPort, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    Xds.Frontend.Security.MeshTlsListener.UseMeshTls(listen, kestrel.ApplicationServices.GetRequiredService<Xds.Frontend.Security.MeshTls>());
                    endpoints.XdsTls = listen;
                });
            }

            kestrel.Listen(IPAddress.Parse(host.DebugAddress), host.DebugPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                endpoints.Debug = listen;
            });
        });
        return builder;
    }

    /// <summary>
    /// The hosted background services whose work ended in a fault (their failure stopped the
    /// host), so the process can exit non-zero and its supervisor restarts it.
    /// </summary>
    public static IReadOnlyList<(string Name, Exception Error)> FailedBackgroundServices(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetServices<IHostedService>()
            .OfType<BackgroundService>()
            .Where(s => s.ExecuteTask is { IsFaulted: true })
            .Select(s => (s.GetType().Name, (Exception)s.ExecuteTask!.Exception!.GetBaseException()))
            .ToList();
    }

    /// <summary>Builds the application and maps the xDS services and debug endpoints.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var app = builder.Build();

        // Counting starts with the process, before the first grain call.
        app.Services.GetRequiredService<Debug.OrleansMessageCounts>();
        var role = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MeshHostOptions>>().Value.Role;

        // Each port serves its own: the xDS ports gRPC only, the debug port everything else, so
        // the debug pages never answer on a port proxies reach (the TLS port may face the network).
        var listeners = app.Services.GetRequiredService<MeshEndpoints>();
        app.Use(async (context, next) =>
        {
            var onDebugPort = listeners.Debug?.IPEndPoint is { } debug && context.Connection.LocalPort == debug.Port;
            var grpc = context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
            if (onDebugPort == grpc)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next(context);
        });
        if (role is MeshRole.All or MeshRole.Frontend)
        {
            app.MapXdsFrontend();
        }

        app.MapDebugEndpoints(role);
        app.MapHealthEndpoints(role);
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
