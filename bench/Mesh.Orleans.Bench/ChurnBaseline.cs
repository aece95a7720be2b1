using System.Collections.Concurrent;
using System.Net;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Mesh.Orleans.Bench;

/// <summary>
/// The churn scenario's bare baseline: a Kestrel gRPC server that holds N ADS streams and, on
/// <c>POST /push</c>, writes the moving ClusterLoadAssignments to every one of them. It is loaded
/// (<c>POST /load?set=a|b</c>, a serialised DiscoveryResponse) with the very bytes the control
/// plane sent: set a is every assignment as at connect, set b the moving ones at another
/// generation; pushes alternate between the two. Responses are built once per push; no
/// subscriptions, versions or ACK handling: only the writes.
/// </summary>
internal static class ChurnBaseline
{
    public static async Task RunAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = null);
        builder.Services.AddSingleton<Fleet>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.MapGrpcService<Ads>();
        app.MapPost("/load", async (HttpContext http, Fleet fleet) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            fleet.Load(http.Request.Query["set"].ToString(), DiscoveryResponse.Parser.ParseFrom(body.ToArray()));
        });
        app.MapPost("/push", (Fleet fleet) => fleet.PushAsync());
        app.MapGet("/debug/stats", (HttpContext http, Fleet fleet) =>
        {
            if (http.Request.Query.ContainsKey("gc"))
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, true, true);
                GC.WaitForPendingFinalizers();
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, true, true);
            }

            using var process = System.Diagnostics.Process.GetCurrentProcess();
            return Results.Json(new { rssBytes = process.WorkingSet64, managedHeapBytes = GC.GetTotalMemory(false), cpuSeconds = process.TotalProcessorTime.TotalSeconds, streams = fleet.Count, bytesSent = fleet.BytesSent });
        });
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a).Port).ToList();
        Console.WriteLine($"baseline listening on 127.0.0.1:{addresses[0]}");
        Console.WriteLine($"baseline stats on http://127.0.0.1:{addresses[1]}/debug/stats");
        await app.WaitForShutdownAsync();
    }

    /// <summary>The streams, the loaded resources, and the responses of the current generation.</summary>
    internal sealed class Fleet
    {
        private readonly ConcurrentDictionary<long, Func<Task>> _streams = new();
        private readonly object _gate = new();
        private List<(string Name, Any Any)> _setA = [];
        private Dictionary<string, Any> _setB = new(StringComparer.Ordinal);
        private long _next;
        private long _generation;
        private long _bytesSent;

        public int Count => _streams.Count;

        public long BytesSent => Interlocked.Read(ref _bytesSent);

        /// <summary>Everything as a new stream gets it (every assignment, current generation).</summary>
        public Responses All { get; private set; } = Build([], "0");

        /// <summary>What the last push wrote: the moving assignments only.</summary>
        public Responses Moved { get; private set; } = Build([], "0");

        public void Load(string set, DiscoveryResponse resources)
        {
            lock (_gate)
            {
                var named = resources.Resources.Select(a => (ChurnSidecar.ClusterNameOf(a.Value), a)).ToList();
                if (set == "b")
                {
                    _setB = named.ToDictionary(r => r.Item1, r => r.a, StringComparer.Ordinal);
                }
                else
                {
                    _setA = named;
                    All = Build(_setA, "0");
                }
            }
        }

        public long Add(Func<Task> push)
        {
            var id = Interlocked.Increment(ref _next);
            _streams[id] = push;
            return id;
        }

        public void Remove(long id) => _streams.TryRemove(id, out _);

        public void AddBytes(long bytes) => Interlocked.Add(ref _bytesSent, bytes);

        public async Task PushAsync()
        {
            lock (_gate)
            {
                // Odd pushes move the moving assignments to set b, even ones back to set a.
                var generation = ++_generation;
                var all = _setA.Select(r => generation % 2 == 1 && _setB.TryGetValue(r.Name, out var b) ? (r.Name, b) : r).ToList();
                var version = generation.ToString(System.Globalization.CultureInfo.InvariantCulture);
                Moved = Build(all.Where(r => _setB.ContainsKey(r.Name)).ToList(), version);
                All = Build(all, version);
            }

            await Task.WhenAll(_streams.Values.Select(push => push()));
        }

        /// <summary>The SotW and Delta responses carrying <paramref name="resources"/>, built once, with their sizes.</summary>
        private static Responses Build(List<(string Name, Any Any)> resources, string version)
        {
            var sotw = new DiscoveryResponse { TypeUrl = TypeUrls.ClusterLoadAssignment, VersionInfo = version, Nonce = version };
            var delta = new DeltaDiscoveryResponse { TypeUrl = TypeUrls.ClusterLoadAssignment, SystemVersionInfo = version, Nonce = version };
            foreach (var (name, any) in resources)
            {
                sotw.Resources.Add(any);
                delta.Resources.Add(new Resource { Name = name, Version = ResourceVersion.Of(any.Value.Span), Resource_ = any });
            }

            return new Responses(sotw, sotw.CalculateSize(), delta, delta.CalculateSize());
        }
    }

    /// <summary>One generation's responses, SotW and Delta, with their sizes in bytes.</summary>
    internal sealed record Responses(DiscoveryResponse Sotw, int SotwSize, DeltaDiscoveryResponse Delta, int DeltaSize);

    private sealed class Ads(Fleet fleet) : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase
    {
        public override Task StreamAggregatedResources(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context) =>
            ServeAsync(requestStream, responseStream, () => (fleet.All.Sotw, fleet.All.SotwSize), () => (fleet.Moved.Sotw, fleet.Moved.SotwSize), context.CancellationToken);

        public override Task DeltaAggregatedResources(IAsyncStreamReader<DeltaDiscoveryRequest> requestStream, IServerStreamWriter<DeltaDiscoveryResponse> responseStream, ServerCallContext context) =>
            ServeAsync(requestStream, responseStream, () => (fleet.All.Delta, fleet.All.DeltaSize), () => (fleet.Moved.Delta, fleet.Moved.DeltaSize), context.CancellationToken);

        /// <summary>Answers the first request with everything, then writes what moved on every push.</summary>
        private async Task ServeAsync<TRequest, TResponse>(IAsyncStreamReader<TRequest> requests, IServerStreamWriter<TResponse> responses, Func<(TResponse Response, int Size)> all, Func<(TResponse Response, int Size)> moved, CancellationToken cancellation)
        {
            var gate = new SemaphoreSlim(1, 1);
            async Task Write((TResponse Response, int Size) response)
            {
                await gate.WaitAsync(cancellation);
                try
                {
                    await responses.WriteAsync(response.Response, cancellation);
                    fleet.AddBytes(response.Size);
                }
                catch (Exception exception) when (exception is IOException or InvalidOperationException or OperationCanceledException)
                {
                }
                finally
                {
                    gate.Release();
                }
            }

            var id = fleet.Add(() => Write(moved()));
            try
            {
                var first = true;
                while (await requests.MoveNext(cancellation))
                {
                    if (first)
                    {
                        first = false;
                        await Write(all());
                    }
                }
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or RpcException)
            {
            }
            finally
            {
                fleet.Remove(id);
            }
        }
    }
}
