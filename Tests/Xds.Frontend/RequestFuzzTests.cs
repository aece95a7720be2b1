using System.Diagnostics;
using CsCheck;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Mesh.Orleans.Tests.Xds.Frontend;

/// <summary>
/// Bounded fuzzing of the gRPC request path: raw bytes sent as request messages on the ADS
/// (SotW and Delta) and per-type streams of the real control plane. Every stream must either
/// get well-formed responses or end with a deliberate status (InvalidArgument, or OK once the
/// client closes its side), never Internal or Unknown and never a hang; and through it all a
/// well-behaved stream opened before the fuzz keeps receiving pushes. Cases come from fixed seeds.
/// </summary>
public sealed class RequestFuzzTests(RequestFuzzTests.FuzzMesh mesh, ITestOutputHelper output) : IClassFixture<RequestFuzzTests.FuzzMesh>
{
    /// <summary>The limit on names per request this server runs with, so "near the limit" stays cheap.</summary>
    private const int MaxNames = 1000;

    private const int MaxNameLength = 4096;

    /// <summary>The default limit on type URLs per stream.</summary>
    private static readonly int s_maxTypes = new Mesh.Orleans.Xds.Frontend.XdsFrontendOptions().MaxTypeUrlsPerStream;
    private const string NodeId = "sidecar~127.0.0.1~fuzz.default~default.svc.cluster.local";
    private static readonly TimeSpan s_streamTimeout = TimeSpan.FromSeconds(10);
    private static readonly Marshaller<byte[]> s_raw = Marshallers.Create(b => b, b => b);
    private static readonly Target s_sotw = new("ADS SotW", new(MethodType.DuplexStreaming, "envoy.service.discovery.v3.AggregatedDiscoveryService", "StreamAggregatedResources", s_raw, s_raw), Delta: false, FixedType: null);
    private static readonly Target s_delta = new("ADS Delta", new(MethodType.DuplexStreaming, "envoy.service.discovery.v3.AggregatedDiscoveryService", "DeltaAggregatedResources", s_raw, s_raw), Delta: true, FixedType: null);
    private static readonly Target s_cds = new("CDS SotW", new(MethodType.DuplexStreaming, "envoy.service.cluster.v3.ClusterDiscoveryService", "StreamClusters", s_raw, s_raw), Delta: false, FixedType: TypeUrls.Cluster);
    private static readonly Target s_deltaCds = new("CDS Delta", new(MethodType.DuplexStreaming, "envoy.service.cluster.v3.ClusterDiscoveryService", "DeltaClusters", s_raw, s_raw), Delta: true, FixedType: TypeUrls.Cluster);
    private static readonly Target[] s_targets = [s_sotw, s_delta, s_cds, s_deltaCds];
    private static readonly string[] s_typeUrls = [TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment, TypeUrls.Listener, TypeUrls.RouteConfiguration, "type.googleapis.com/unknown.Type", "*", string.Empty];

    [Fact]
    public async Task RandomBytes_EndOnlyTheirOwnStream()
    {
        var gen = Gen.Select(Gen.Int[0, s_targets.Length - 1], Gen.Byte.Array[0, 300].Array[1, 3]);
        var cases = FuzzCases.Generate(gen, seed: 0x6e5_1001, count: 120)
            .Select((c, i) => new Case($"random case {i} on {s_targets[c.Item1].Name}", s_targets[c.Item1], c.Item2))
            .ToList();

        await RunCasesAsync("random bytes", cases);
        await mesh.AssertStillServingAsync();
    }

    [Fact]
    public async Task MutatedValidRequests_AreServedOrRefusedWithInvalidArgument()
    {
        // A valid first request, then a mutated one (or the mutation on the first request itself):
        // byte flips, truncations and insertions in serialised requests.
        var edit = Gen.Select(Gen.Int[0, 2], Gen.Int[0, int.MaxValue - 1], Gen.Byte);
        var gen = Gen.Select(Gen.Int[0, s_targets.Length - 1], Gen.Int[0, int.MaxValue - 1], Gen.Bool, edit.Array[1, 4]);
        var cases = FuzzCases.Generate(gen, seed: 0x6e5_1002, count: 200).Select((c, i) =>
        {
            var (targetIndex, shape, mutateFirst, edits) = c;
            var target = s_targets[targetIndex];
            var first = ValidRequest(target, shape, first: true);
            var second = ValidRequest(target, shape / 7, first: false);
            var mutated = Mutate(mutateFirst ? first : second, edits);
            byte[][] messages = mutateFirst ? [mutated] : [first, mutated, ValidRequest(target, shape / 49, first: false)];
            return new Case($"mutated case {i} on {target.Name}", target, messages);
        }).ToList();

        await RunCasesAsync("mutated requests", cases);
        await mesh.AssertStillServingAsync();
    }

    [Fact]
    public async Task HostileButWellFormedRequests_GetTheDeliberateStatus()
    {
        var cases = HostileCases().ToList();

        await RunCasesAsync("hostile requests", cases);
        await mesh.AssertStillServingAsync();
    }

    private static IEnumerable<Case> HostileCases()
    {
        const StatusCode Ok = StatusCode.OK;
        const StatusCode Invalid = StatusCode.InvalidArgument;
        var node = new Node { Id = NodeId, Cluster = "fuzz" };
        DiscoveryRequest Sotw(string typeUrl, IEnumerable<string>? names = null, string nonce = "", Google.Rpc.Status? error = null, Node? withNode = null)
        {
            var request = new DiscoveryRequest { Node = withNode ?? node, TypeUrl = typeUrl, ResponseNonce = nonce, ErrorDetail = error };
            request.ResourceNames.AddRange(names ?? []);
            return request;
        }

        DeltaDiscoveryRequest Delta(string typeUrl, IEnumerable<string>? subscribe = null, IEnumerable<string>? unsubscribe = null, string nonce = "", IDictionary<string, string>? initial = null, Google.Rpc.Status? error = null, Node? withNode = null)
        {
            var request = new DeltaDiscoveryRequest { Node = withNode ?? node, TypeUrl = typeUrl, ResponseNonce = nonce, ErrorDetail = error };
            request.ResourceNamesSubscribe.AddRange(subscribe ?? []);
            request.ResourceNamesUnsubscribe.AddRange(unsubscribe ?? []);
            request.InitialResourceVersions.Add(initial ?? new Dictionary<string, string>());
            return request;
        }

        var atLimit = Enumerable.Range(0, MaxNames).Select(i => $"outbound|{i}||n{i}.default.svc.cluster.local").ToList();
        var overLimit = atLimit.Append("one-more").ToList();
        var longestName = new string('n', MaxNameLength);
        var tooLongName = new string('n', MaxNameLength + 1);
        var absurdType = "type.googleapis.com/" + new string('x', MaxNameLength - 20);
        var error = new Google.Rpc.Status { Code = 3, Message = "rejected before anything was sent" };

        yield return new("absurd but short type URL", s_sotw, Raw(Sotw("type.googleapis.com/\u0000\uFFFF/../../etc/passwd")), Ok, Responses: 1);
        yield return new("type URL of exactly the longest length", s_sotw, Raw(Sotw(absurdType)), Ok, Responses: 1);
        yield return new("type URL one over the longest length", s_sotw, Raw(Sotw(absurdType + "x")), Invalid);
        yield return new("Delta: type URL one over the longest length", s_delta, Raw(Delta(absurdType + "x")), Invalid);
        yield return new("per-type service asked for another type", s_cds, Raw(Sotw(TypeUrls.Listener)), Invalid);
        yield return new("Delta per-type service asked for another type", s_deltaCds, Raw(Delta(TypeUrls.Listener)), Invalid);
        yield return new("no type URL on ADS", s_sotw, Raw(Sotw(string.Empty)), Invalid);
        yield return new("names at the limit", s_sotw, Raw(Sotw(TypeUrls.ClusterLoadAssignment, atLimit)), Ok, Responses: 1);
        yield return new("names over the limit", s_sotw, Raw(Sotw(TypeUrls.ClusterLoadAssignment, overLimit)), Invalid);
        yield return new("Delta: subscriptions at the limit", s_delta, Raw(Delta(TypeUrls.ClusterLoadAssignment, atLimit)), Ok, Responses: 1);
        yield return new("Delta: subscriptions over the limit", s_delta, Raw(Delta(TypeUrls.ClusterLoadAssignment, overLimit)), Invalid);
        yield return new("Delta: unsubscriptions over the limit", s_delta, Raw(Delta(TypeUrls.ClusterLoadAssignment, unsubscribe: overLimit)), Invalid);
        yield return new("name of the longest length", s_sotw, Raw(Sotw(TypeUrls.Listener, [longestName])), Ok, Responses: 1);
        yield return new("name of 4097 characters", s_sotw, Raw(Sotw(TypeUrls.Listener, [tooLongName])), Invalid);
        yield return new("Delta: name of 4097 characters", s_delta, Raw(Delta(TypeUrls.Listener, [tooLongName])), Invalid);
        yield return new("node id of 4097 characters", s_sotw, Raw(Sotw(TypeUrls.Cluster, withNode: new Node { Id = tooLongName })), Invalid);
        yield return new("node id changed mid-stream", s_sotw, Raw(Sotw(TypeUrls.Cluster), Sotw(TypeUrls.Listener, withNode: new Node { Id = "someone-else" })), Invalid, Responses: 1);
        yield return new("Delta: node id changed mid-stream", s_delta, Raw(Delta(TypeUrls.Cluster), Delta(TypeUrls.Listener, withNode: new Node { Id = "someone-else" })), Invalid, Responses: 1);
        yield return new("no node on the first request", s_sotw, Raw(new DiscoveryRequest { TypeUrl = TypeUrls.Cluster }), Invalid);
        yield return new("node without id on the first request", s_delta, Raw(new DeltaDiscoveryRequest { TypeUrl = TypeUrls.Cluster, Node = new Node { Cluster = "x" } }), Invalid);
        yield return new("empty message first", s_sotw, [Array.Empty<byte>()], Invalid);
        yield return new("nonces that were never sent", s_sotw, Raw(Sotw(TypeUrls.Cluster, nonce: "never-sent"), Sotw(TypeUrls.Cluster, nonce: "ffffffffffffffff"), Sotw(TypeUrls.Listener)), Ok, Responses: 1);
        yield return new("Delta: nonces that were never sent", s_delta, Raw(Delta(TypeUrls.Cluster, nonce: "never-sent"), Delta(TypeUrls.Cluster, nonce: "\u0000")), Ok, Responses: 1);
        yield return new("error_detail on the first request", s_sotw, Raw(Sotw(TypeUrls.Cluster, error: error)), Ok, Responses: 1);
        yield return new("error_detail with a nonce on the first request", s_sotw, Raw(Sotw(TypeUrls.Cluster, nonce: "1", error: error)), Ok);
        yield return new("Delta: error_detail on the first request", s_delta, Raw(Delta(TypeUrls.Cluster, error: error)), Ok, Responses: 1);
        yield return new("Delta: garbage initial_resource_versions", s_delta, Raw(Delta(TypeUrls.Cluster, initial: new Dictionary<string, string> { ["*"] = "*", [string.Empty] = string.Empty, ["outbound|8080||alpha.default.svc.cluster.local"] = new string('v', 100_000), ["\u0000"] = "\uFFFF" })), Ok, Responses: 1);
        yield return new("Delta: initial_resource_versions over the limit", s_delta, Raw(Delta(TypeUrls.Cluster, initial: overLimit.ToDictionary(n => n, n => "v"))), Invalid);
        yield return new("Delta: initial_resource_versions name of 4097 characters", s_delta, Raw(Delta(TypeUrls.Cluster, initial: new Dictionary<string, string> { [tooLongName] = "v" })), Invalid);
        yield return new("Delta: initial_resource_versions on a later request", s_delta, Raw(Delta(TypeUrls.Cluster), Delta(TypeUrls.Cluster, initial: new Dictionary<string, string> { ["x"] = "y" })), Ok, Responses: 1);
        yield return new("Delta: unsubscribe the wildcard and names never subscribed", s_delta, Raw(Delta(TypeUrls.Cluster), Delta(TypeUrls.Cluster, unsubscribe: ["*", "never", string.Empty])), Ok);
        yield return new("unknown fields", s_sotw, [WithUnknownFields(Sotw(TypeUrls.Cluster).ToByteArray())], Ok, Responses: 1);
        yield return new("Delta: unknown fields", s_delta, [WithUnknownFields(Delta(TypeUrls.Cluster).ToByteArray())], Ok, Responses: 1);
        yield return new("unknown fields inside node", s_sotw, [[.. Sotw(TypeUrls.Cluster).ToByteArray(), .. UnknownField(2, WithUnknownFields(node.ToByteArray()))]], Ok, Responses: 1);
        yield return new("deeply nested unknown groups", s_sotw, [NestedGroups(Sotw(TypeUrls.Cluster).ToByteArray(), 1000)], Invalid, DetailContains: "too many levels of nesting");
        yield return new("Delta: deeply nested unknown groups", s_delta, [NestedGroups(Delta(TypeUrls.Cluster).ToByteArray(), 1000)], Invalid);
        yield return new("shallow nested unknown groups", s_sotw, [NestedGroups(Sotw(TypeUrls.Cluster).ToByteArray(), 20)], Ok, Responses: 1);
        yield return new("node metadata nested ten deep", s_sotw, [DeeplyNestedMetadata(Sotw(TypeUrls.Cluster), 10)], Ok, Responses: 1);
        yield return new("node metadata nested a thousand deep", s_sotw, [DeeplyNestedMetadata(Sotw(TypeUrls.Cluster), 1000)], Invalid, DetailContains: "too many levels of nesting");
        yield return new("unterminated group", s_sotw, [[.. Sotw(TypeUrls.Cluster).ToByteArray(), .. Varint((999 << 3) | 3)]], Invalid);
        yield return new("length prefix past the end", s_sotw, [[.. Sotw(TypeUrls.Cluster).ToByteArray(), .. Varint((998 << 3) | 2), .. Varint(int.MaxValue)]], Invalid);
        yield return new("a message over the receive limit", s_sotw, Raw(Sotw(TypeUrls.Cluster, [new string('n', 5 * 1024 * 1024)])), StatusCode.ResourceExhausted);
        yield return new("type URLs up to the per-stream limit", s_sotw, Raw([.. Enumerable.Range(0, s_maxTypes).Select(i => Sotw($"type.googleapis.com/fuzz.T{i}"))]), Ok, Responses: s_maxTypes);
        yield return new("a thousand fresh type URLs on one stream", s_sotw, Raw([.. Enumerable.Range(0, 1000).Select(i => Sotw($"type.googleapis.com/fuzz.T{i}"))]), Invalid, Responses: s_maxTypes, DetailContains: "type URLs");
        yield return new("Delta: a thousand fresh type URLs on one stream", s_delta, Raw([.. Enumerable.Range(0, 1000).Select(i => Delta($"type.googleapis.com/fuzz.T{i}"))]), Invalid, Responses: s_maxTypes, DetailContains: "type URLs");
    }

    private async Task RunCasesAsync(string what, IReadOnlyList<Case> cases)
    {
        var watch = Stopwatch.StartNew();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{mesh.Server.XdsPort}");
        var invoker = channel.CreateCallInvoker();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, _) =>
        {
            var outcome = await RunStreamAsync(invoker, c.Target.Method, c.Messages);
            if (Judge(c, outcome) is { } failure)
            {
                failures.Enqueue($"{c.What}: {failure}");
            }
        }).WaitAsync(TimeSpan.FromSeconds(60));

        output.WriteLine($"{what}: {cases.Count} streams in {watch.ElapsedMilliseconds} ms");
        Assert.True(failures.IsEmpty, $"{what}: {failures.Count} of {cases.Count} streams failed:\n" + string.Join('\n', failures.Take(20)));
        await Eventually.TrueAsync(() => mesh.Server.Streams.Streams.Count == 1, TimeSpan.FromSeconds(10), "every fuzz stream leaves the registry; only the control stream stays");
    }

    /// <summary>What is wrong with how the server ended a stream, or null.</summary>
    private static string? Judge(Case c, Outcome outcome)
    {
        if (outcome.TimedOut)
        {
            return $"no end within {s_streamTimeout.TotalSeconds} s after the client closed its side (status {outcome.Status})";
        }

        var code = outcome.Status.StatusCode;
        if (c.Expected is { } expected ? code != expected : code is not (StatusCode.OK or StatusCode.InvalidArgument))
        {
            return $"ended with {code} ({outcome.Status.Detail})" + (c.Expected is null ? string.Empty : $", expected {c.Expected}");
        }

        if (code == StatusCode.InvalidArgument && string.IsNullOrWhiteSpace(outcome.Status.Detail))
        {
            return "InvalidArgument without a reason";
        }

        if (c.DetailContains is { } detail && !outcome.Status.Detail.Contains(detail, StringComparison.Ordinal))
        {
            return $"ended with '{outcome.Status.Detail}', expected it to say '{detail}'";
        }

        if (c.Responses is { } count && outcome.Responses.Count != count)
        {
            return $"{outcome.Responses.Count} responses, expected {count}";
        }

        foreach (var bytes in outcome.Responses)
        {
            try
            {
                var (typeUrl, nonce) = c.Target.Delta
                    ? DeltaDiscoveryResponse.Parser.ParseFrom(bytes) is var delta ? (delta.TypeUrl, delta.Nonce) : default
                    : DiscoveryResponse.Parser.ParseFrom(bytes) is var sotw ? (sotw.TypeUrl, sotw.Nonce) : default;
                if (string.IsNullOrEmpty(typeUrl) || string.IsNullOrEmpty(nonce) || (c.Target.FixedType is { } fixedType && typeUrl != fixedType))
                {
                    return $"a response with type_url '{typeUrl}' and nonce '{nonce}'";
                }
            }
            catch (InvalidProtocolBufferException exception)
            {
                return $"an unreadable response: {exception.Message}";
            }
        }

        return null;
    }

    private static async Task<Outcome> RunStreamAsync(CallInvoker invoker, Method<byte[], byte[]> method, IReadOnlyList<byte[]> messages)
    {
        using var timeout = new CancellationTokenSource(s_streamTimeout);
        using var call = invoker.AsyncDuplexStreamingCall(method, null, new CallOptions(cancellationToken: timeout.Token));
        var responses = new List<byte[]>();
        var reading = ReadAsync();
        try
        {
            foreach (var message in messages)
            {
                await call.RequestStream.WriteAsync(message);
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (Exception exception) when (exception is RpcException or InvalidOperationException or IOException or OperationCanceledException)
        {
            // The server ended the call before it read everything; the status says why.
        }

        var status = await reading;
        return new Outcome(status, responses, timeout.IsCancellationRequested);

        async Task<Status> ReadAsync()
        {
            try
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    responses.Add(call.ResponseStream.Current);
                }

                return call.GetStatus();
            }
            catch (RpcException exception)
            {
                return exception.Status;
            }
        }
    }

    private static byte[] ValidRequest(Target target, int shape, bool first)
    {
        var typeUrl = target.FixedType is not null && shape % 3 != 0 ? string.Empty : s_typeUrls[shape % s_typeUrls.Length];
        string[] names = (shape / 11 % 4) switch
        {
            0 => [],
            1 => ["*"],
            2 => ["outbound|8080||alpha.default.svc.cluster.local", "alpha.default.svc.cluster.local:8080"],
            _ => ["missing", "*", string.Empty],
        };
        var node = first || shape % 5 == 0
            ? new Node { Id = NodeId, Cluster = "fuzz", UserAgentName = "fuzz", Locality = new Locality { Region = "r", Zone = "z" } }
            : null;
        var error = shape % 13 == 0 ? new Google.Rpc.Status { Code = 13, Message = "nack" } : null;
        var nonce = shape % 3 == 0 ? (shape % 17).ToString("x", System.Globalization.CultureInfo.InvariantCulture) : string.Empty;
        if (target.Delta)
        {
            var delta = new DeltaDiscoveryRequest { Node = node, TypeUrl = typeUrl, ResponseNonce = nonce, ErrorDetail = error };
            delta.ResourceNamesSubscribe.AddRange(names);
            if (shape % 2 == 0)
            {
                delta.ResourceNamesUnsubscribe.Add(names.Reverse());
            }

            if (first && shape % 7 == 0)
            {
                delta.InitialResourceVersions.Add(names.Where(n => n.Length > 0).Distinct().ToDictionary(n => n, n => "v" + n.Length));
            }

            return delta.ToByteArray();
        }

        var sotw = new DiscoveryRequest { Node = node, TypeUrl = typeUrl, ResponseNonce = nonce, ErrorDetail = error, VersionInfo = shape % 19 == 0 ? "v" : string.Empty };
        sotw.ResourceNames.AddRange(names);
        return sotw.ToByteArray();
    }

    private static byte[] Mutate(byte[] bytes, IEnumerable<(int Kind, int Position, byte Value)> edits)
    {
        var list = bytes.ToList();
        foreach (var (kind, position, value) in edits)
        {
            var at = position % (list.Count + 1);
            switch (kind)
            {
                case 0 when at < list.Count:
                    list[at] ^= value == 0 ? (byte)0x80 : value;
                    break;
                case 1:
                    list.RemoveRange(at, list.Count - at); // Truncation.
                    break;
                default:
                    list.Insert(at, value);
                    break;
            }
        }

        return [.. list];
    }

    private static byte[][] Raw(params IMessage[] messages) => [.. messages.Select(m => m.ToByteArray())];

    private static byte[] Varint(long value)
    {
        var bytes = new List<byte>();
        var v = (ulong)value;
        do
        {
            var b = (byte)(v & 0x7f);
            v >>= 7;
            bytes.Add(v == 0 ? b : (byte)(b | 0x80));
        }
        while (v != 0);
        return [.. bytes];
    }

    private static byte[] UnknownField(int number, byte[] payload) => [.. Varint((number << 3) | 2), .. Varint(payload.Length), .. payload];

    /// <summary>Appends fields the schema does not have: a varint, a fixed64, a length-delimited and a group.</summary>
    private static byte[] WithUnknownFields(byte[] message) =>
    [
        .. message,
        .. Varint(999 << 3), .. Varint(long.MaxValue),
        .. Varint((997 << 3) | 1), 1, 2, 3, 4, 5, 6, 7, 8,
        .. UnknownField(998, [0xff, 0x00, 0x12]),
        .. Varint((996 << 3) | 3), .. Varint(995 << 3), 7, .. Varint((996 << 3) | 4),
    ];

    /// <summary>Appends an unknown group nested <paramref name="depth"/> deep.</summary>
    private static byte[] NestedGroups(byte[] message, int depth)
    {
        var start = Varint((999 << 3) | 3);
        var end = Varint((999 << 3) | 4);
        return [.. message, .. Enumerable.Repeat(start, depth).SelectMany(b => b), .. Enumerable.Repeat(end, depth).SelectMany(b => b)];
    }

    /// <summary>A request whose node.metadata is a Struct nested <paramref name="depth"/> deep.</summary>
    private static byte[] DeeplyNestedMetadata(DiscoveryRequest request, int depth)
    {
        // Struct { fields: { "k": Value { struct_value: Struct { ... } } } }, written inside out as bytes.
        byte[] nested = [];
        for (var i = 0; i < depth; i++)
        {
            byte[] entry = [.. UnknownField(1, "k"u8.ToArray()), .. UnknownField(2, UnknownField(5, nested))];
            nested = UnknownField(1, entry);
        }

        var withoutNode = request.Clone();
        withoutNode.Node = null;
        // DiscoveryRequest.node is field 2, Node.metadata field 3.
        return [.. withoutNode.ToByteArray(), .. UnknownField(2, [.. request.Node.ToByteArray(), .. UnknownField(3, nested)])];
    }

    private sealed record Target(string Name, Method<byte[], byte[]> Method, bool Delta, string? FixedType);

    private sealed record Outcome(Status Status, IReadOnlyList<byte[]> Responses, bool TimedOut);

    private sealed record Case(string What, Target Target, IReadOnlyList<byte[]> Messages, StatusCode? Expected = null, int? Responses = null, string? DetailContains = null);

    /// <summary>A control plane, and a well-behaved SotW stream opened on it before any fuzzing.</summary>
    public sealed class FuzzMesh : IAsyncLifetime
    {
        private int _changes;

        public MeshServer Server { get; private set; } = null!;

        public AdsTestClient Control { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Server = await MeshServer.StartAsync(
                new Dictionary<string, string>
                {
                    ["mesh.yaml"] = MeshYaml.Documents(
                        MeshYaml.Service("alpha", 8080),
                        MeshYaml.Slice("alpha-1", "alpha", 18080, [("127.0.0.1", true)])),
                },
                new Dictionary<string, string?>
                {
                    ["Mesh:Frontend:MaxResourceNamesPerRequest"] = MaxNames.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["Mesh:Frontend:MaxNameLength"] = MaxNameLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
                });
            Control = AdsTestClient.Connect(Server.XdsPort, "sidecar~127.0.0.1~control.default~default.svc.cluster.local");
            await Control.SendAsync(TypeUrls.Cluster);
            await Control.AckAsync(await Control.ReceiveAsync());
        }

        /// <summary>
        /// Adds a service and checks that the control stream receives the push and that a fresh
        /// stream is served it too.
        /// </summary>
        public async Task AssertStillServingAsync()
        {
            var name = $"after{Interlocked.Increment(ref _changes)}";
            var cluster = $"outbound|8080||{name}.default.svc.cluster.local";
            await Server.WriteConfigAsync(name + ".yaml", MeshYaml.Service(name, 8080));

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (true)
            {
                var left = deadline - DateTime.UtcNow;
                Assert.True(left > TimeSpan.Zero, $"the control stream did not receive {cluster} (status {Control.FinalStatus})");
                var response = await Control.ReceiveTypeAsync(TypeUrls.Cluster, left);
                await Control.AckAsync(response);
                if (AdsTestClient.Unpack<Cluster>(response).Any(c => c.Name == cluster))
                {
                    break;
                }
            }

            await using var fresh = AdsTestClient.Connect(Server.XdsPort, "sidecar~127.0.0.1~fresh.default~default.svc.cluster.local");
            await fresh.SendAsync(TypeUrls.Cluster);
            Assert.Contains(cluster, AdsTestClient.Unpack<Cluster>(await fresh.ReceiveAsync()).Select(c => c.Name));
        }

        public async Task DisposeAsync()
        {
            await Control.DisposeAsync();
            await Server.DisposeAsync();
        }
    }
}
