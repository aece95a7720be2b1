using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Xds.Frontend.Internal;

/// <summary>Creates the streams of every discovery service of the process, sharing one cache and one push throttle.</summary>
internal sealed partial class StreamFactory
{
    private static readonly TimeSpan s_drainPoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_trailersGrace = TimeSpan.FromSeconds(1);

    private readonly StreamShared _shared;

    private readonly CancellationTokenSource _draining = new();

    /// <summary>xDS calls whose response has not completed yet.</summary>
    private int _calls;

    public StreamFactory(
        ResourceCache cache,
        ScopeCaches caches,
        IMeshStateClient mesh,
        StreamRegistry registry,
        IOptions<XdsFrontendOptions> options,
        TimeProvider time,
        IHostApplicationLifetime lifetime,
        ILogger<StreamFactory> logger,
        StreamSecurity? security = null)
    {
        // One process-wide signal that every stream awaits beside its next request and the next
        // cache change: once the process stops, new streams end at once and each open stream ends
        // with Unavailable within the drain spread, so clients reconnect to another frontend
        // (spread out). SIGTERM begins it at once (ApplicationStopping); StreamDrain waits for
        // the streams before anything stops (see DrainAsync).
        _shared = new StreamShared(cache, caches, mesh, registry, options.Value, time, logger, new SemaphoreSlim(options.Value.MaxConcurrentPushes, options.Value.MaxConcurrentPushes), _draining.Token, security);
        lifetime.ApplicationStopping.Register(BeginDrain);
    }

    /// <summary>Ends every open stream (each at a random moment of the drain spread) and refuses new ones.</summary>
    public void BeginDrain()
    {
        if (_draining.IsCancellationRequested)
        {
            return;
        }

        LogDraining(_shared.Logger, _shared.Registry.Count);
        try
        {
            _draining.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The process is past stopping.
        }
    }

    /// <summary>
    /// Begins the drain and waits until every call's response has completed (trailers handed to
    /// the connection, not only the handler returned: Kestrel closing a connection between the
    /// two showed clients Internal), at most the drain spread and 2 s, then a second more (half a second was not enough for a client on a starved machine, CI showed):
    /// a completed response's trailers may still sit in the connection's output, and a socket
    /// closed while the client's last request lies unread in it is reset by the kernel, losing
    /// them. Runs before Kestrel stops (<see cref="StreamDrain"/>), so no connection closes under
    /// a stream that is still ending.
    /// </summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        BeginDrain();
        if (Volatile.Read(ref _calls) == 0)
        {
            return;
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (Volatile.Read(ref _calls) > 0 && clock.Elapsed < _shared.Options.DrainSpread + TimeSpan.FromSeconds(2))
            {
                await Task.Delay(s_drainPoll, cancellationToken);
            }

            await Task.Delay(s_trailersGrace, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown timeout is up: stop anyway.
        }
    }

    public Task RunSotwAsync(IAsyncStreamReader<DiscoveryRequest> requests, IServerStreamWriter<DiscoveryResponse> responses, ServerCallContext call, string? typeUrl) =>
        TrackAsync(call, () => new SotwStream(new StreamContext<DiscoveryRequest, DiscoveryResponse>(requests, responses, call, _shared, typeUrl)).RunAsync());

    public Task RunDeltaAsync(IAsyncStreamReader<DeltaDiscoveryRequest> requests, IServerStreamWriter<DeltaDiscoveryResponse> responses, ServerCallContext call, string? typeUrl) =>
        TrackAsync(call, () => new DeltaStream(new StreamContext<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(requests, responses, call, _shared, typeUrl)).RunAsync());

    /// <summary>Counts the call open until its HTTP response completes (or, outside ASP.NET Core, until it returns).</summary>
    private async Task TrackAsync(ServerCallContext call, Func<Task> run)
    {
        Interlocked.Increment(ref _calls);
        var untilResponseCompletes = false;
        if (CallContexts.HttpContextOf(call) is { } http)
        {
            http.Response.OnCompleted(() =>
            {
                Interlocked.Decrement(ref _calls);
                return Task.CompletedTask;
            });
            untilResponseCompletes = true;
        }

        try
        {
            await run();
        }
        finally
        {
            if (!untilResponseCompletes)
            {
                Interlocked.Decrement(ref _calls);
            }
        }
    }

    /// <summary>
    /// A unary fetch (the REST-style <c>Fetch*</c> methods): the named resources of the type,
    /// or every one when no name is given, at the cache's current version; ClusterLoadAssignments
    /// in the priorities of the request's <c>node.locality</c>, as on a stream.
    /// </summary>
    public DiscoveryResponse Fetch(DiscoveryRequest request, string typeUrl)
    {
        if (request.TypeUrl.Length > 0 && request.TypeUrl != typeUrl)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"this service serves {typeUrl}, not {request.TypeUrl}"));
        }

        if (request.ResourceNames.Count > _shared.Options.MaxResourceNamesPerRequest)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{request.ResourceNames.Count} resource names exceed the limit of {_shared.Options.MaxResourceNamesPerRequest}"));
        }

        var available = _shared.Cache.Current.Of(typeUrl);
        var locality = request.Node?.Locality;
        var included = (request.ResourceNames.Count == 0 || request.ResourceNames.Contains("*")
            ? available.Values
            : request.ResourceNames.Select(n => available.GetValueOrDefault(n)).OfType<CachedResource>())
            .Select(r => _shared.Cache.ForLocality(r, locality))
            .ToList();
        included.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var response = new DiscoveryResponse
        {
            TypeUrl = typeUrl,
            VersionInfo = Grains.Interfaces.Xds.ResourceVersion.OfSet(included.Select(r => (r.Name, r.Version))),
        };
        response.Resources.AddRange(included.Select(r => r.Any));
        return response;
    }

    [LoggerMessage(EventId = 420, Level = LogLevel.Information, Message = "Shutting down: ending {Count} open xDS streams with Unavailable")]
    private static partial void LogDraining(ILogger logger, int count);
}
