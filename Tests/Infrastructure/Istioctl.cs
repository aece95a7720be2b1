using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// What istioctl sends (<c>istioctl/pkg/xds/client.go</c>, <c>pkg/adsc</c>): one SotW ADS stream with
/// adsc's default node (<c>sidecar~&lt;ip&gt;~test-1.default~default.svc.cluster.local</c>, metadata
/// <c>GENERATOR: event</c>, no <c>PROXY_CONFIG</c>) and a response_nonce the server never issued
/// (<c>time.Now().String()</c>). It never ACKs.
/// </summary>
public static class Istioctl
{
    /// <summary>adsc's node id with <paramref name="ip"/> (the host's first private IP, possibly empty).</summary>
    public static string NodeId(string ip = "10.1.2.3") => $"sidecar~{ip}~test-1.default~default.svc.cluster.local";

    /// <summary>The node metadata istioctl sends for its own namespace (istio-system, service account default).</summary>
    public static Struct Metadata()
    {
        var metadata = new Struct();
        metadata.Fields["GENERATOR"] = Value.ForString("event");
        metadata.Fields["SERVICE_ACCOUNT"] = Value.ForString("default");
        metadata.Fields["NAMESPACE"] = Value.ForString("istio-system");
        metadata.Fields["ISTIO_VERSION"] = Value.ForString("65536.65536.65536");
        return metadata;
    }

    /// <summary>A request as istioctl sends it; the node only on a stream's first request, as adsc does.</summary>
    public static DiscoveryRequest Request(string typeUrl, IEnumerable<string>? names = null, bool withNode = true, string ip = "10.1.2.3")
    {
        var request = new DiscoveryRequest
        {
            TypeUrl = typeUrl,
            ResponseNonce = "2026-08-22 15:00:18.123456789 -0500 CDT m=+0.012345678",
        };
        request.ResourceNames.AddRange(names ?? []);
        if (withNode)
        {
            request.Node = new Node { Id = NodeId(ip), Metadata = Metadata() };
        }

        return request;
    }

    /// <summary>Opens istioctl's stream to the plaintext xDS port <paramref name="port"/>.</summary>
    public static AdsTestClient Connect(int port) => AdsTestClient.Connect(port, NodeId(), metadata: Metadata());

    /// <summary>Opens istioctl's stream over <paramref name="channel"/> (the TLS port, with a token).</summary>
    public static AdsTestClient Connect(GrpcChannel channel) => AdsTestClient.Connect(channel, NodeId(), Metadata());
}
