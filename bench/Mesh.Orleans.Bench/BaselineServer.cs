using System.Collections.Concurrent;
using System.Net;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Mesh.Orleans.Bench;

/// <summary>
/// The physical limit of this stack: a bare Kestrel gRPC server that holds N ADS streams and,
/// on <c>POST /push</c>, writes one pre-serialised ClusterLoadAssignment to every one of them.
/// No grains, no subscriptions, no versions: only the writes.
/// </summary>
internal static class BaselineServer
{
    public static async Task RunAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<Pusher>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.MapGrpcService<BaselineAds>();
        app.MapPost("/push", (Pusher pusher) => pusher.PushAsync());
        app.MapGet("/debug/stats", (HttpContext http, Pusher pusher) =>
        {
            if (http.Request.Query.ContainsKey("gc"))
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, true, true);
                GC.WaitForPendingFinalizers();
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, true, true);
            }

            using var process = System.Diagnostics.Process.GetCurrentProcess();
            return Results.Json(new { rssBytes = process.WorkingSet64, managedHeapBytes = GC.GetTotalMemory(false), cpuSeconds = process.TotalProcessorTime.TotalSeconds, streams = pusher.Count });
        });
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a).Port).ToList();
        Console.WriteLine($"baseline listening on 127.0.0.1:{addresses[0]}");
        Console.WriteLine($"baseline stats on http://127.0.0.1:{addresses[1]}/debug/stats");
        await app.WaitForShutdownAsync();
    }

    /// <summary>Holds every stream and writes the same pre-built response to all of them.</summary>
    internal sealed class Pusher
    {
        private readonly ConcurrentDictionary<long, Func<long, Task>> _streams = new();
        private long _next;
        private long _generation;

        public int Count => _streams.Count;

        public DiscoveryResponse Sotw { get; private set; } = Build(0).Sotw;

        public DeltaDiscoveryResponse Delta { get; private set; } = Build(0).Delta;

        public long Add(Func<long, Task> push)
        {
            var id = Interlocked.Increment(ref _next);
            _streams[id] = push;
            return id;
        }

        public void Remove(long id) => _streams.TryRemove(id, out _);

        public async Task PushAsync()
        {
            var generation = Interlocked.Increment(ref _generation);
            (Sotw, Delta) = Build(generation);
            await Task.WhenAll(_streams.Values.Select(push => push(generation)));
        }

        /// <summary>The hot cluster's assignment, one endpoint address per generation, serialised once.</summary>
        private static (DiscoveryResponse Sotw, DeltaDiscoveryResponse Delta) Build(long generation)
        {
            var assignment = new ClusterLoadAssignment { ClusterName = Program.HotCluster };
            var locality = new LocalityLbEndpoints { Locality = new Locality(), LoadBalancingWeight = 1 };
            locality.LbEndpoints.Add(new LbEndpoint
            {
                Endpoint = new Envoy.Config.Endpoint.V3.Endpoint { Address = new Address { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = $"127.1.{generation % 250}.1", PortValue = 8080 } } },
                HealthStatus = HealthStatus.Healthy,
            });
            assignment.Endpoints.Add(locality);
            var any = Any.Pack(assignment);
            var version = ResourceVersion.Of(any.Value.Span);
            var sotw = new DiscoveryResponse { TypeUrl = TypeUrls.ClusterLoadAssignment, VersionInfo = version, Nonce = version };
            sotw.Resources.Add(any);
            var delta = new DeltaDiscoveryResponse { TypeUrl = TypeUrls.ClusterLoadAssignment, SystemVersionInfo = version, Nonce = version };
            delta.Resources.Add(new Resource { Name = Program.HotCluster, Version = version, Resource_ = any });
            return (sotw, delta);
        }
    }

    private sealed class BaselineAds(Pusher pusher) : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
    {
        public override Task StreamAggregatedResources(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context) =>
            ServeAsync(requestStream, responseStream, () => pusher.Sotw, context.CancellationToken);

        public override Task DeltaAggregatedResources(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext context) =>
            ServeAsync(requestStream, responseStream, () => pusher.Delta, context.CancellationToken);

        /// <summary>Answers the first request with the current response, then writes it again on every push.</summary>
        private async Task ServeAsync<TRequest, TResponse>(IAsyncStreamReader<TRequest> requests, IServerStreamWriter<TResponse> responses, Func<TResponse> current, CancellationToken cancellation)
        {
            var gate = new SemaphoreSlim(1, 1);
            async Task Write(long generation)
            {
                await gate.WaitAsync(cancellation);
                try
                {
                    await responses.WriteAsync(current(), cancellation);
                }
                catch (Exception exception) when (exception is IOException or InvalidOperationException or OperationCanceledException)
                {
                }
                finally
                {
                    gate.Release();
                }
            }

            var id = pusher.Add(Write);
            try
            {
                var first = true;
                while (await requests.MoveNext(cancellation))
                {
                    if (first)
                    {
                        first = false;
                        await Write(0);
                    }
                }
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or RpcException)
            {
            }
            finally
            {
                pusher.Remove(id);
            }
        }
    }
}
