using System.Globalization;

namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>
/// One connection (and, for HTTP, one request on it) to simulate: where it is sent, how it reaches
/// the proxy, what it speaks, and the request's authority, path, method and headers. Built with the
/// factories and <c>With...</c> helpers so a scenario reads as one line:
/// <c>Call.Http("reviews:9080", "127.96.0.12", 9080).WithHeader("end-user", "jason")</c>.
/// </summary>
public sealed record Call
{
    /// <summary>The destination address the client connects to (the original destination, before any redirect).</summary>
    public required string Address { get; init; }

    /// <summary>The destination port the client connects to.</summary>
    public required int Port { get; init; }

    /// <summary>How the connection reaches the proxy; outbound (redirected to 15001) unless set.</summary>
    public CallMode Mode { get; init; } = CallMode.Outbound;

    /// <summary>What the connection speaks; HTTP/1.1 unless set.</summary>
    public CallProtocol Protocol { get; init; } = CallProtocol.Http1;

    /// <summary>
    /// The HTTP Host header (<c>:authority</c>); when null the client sends the address, with the
    /// port unless it is 80, as HTTP clients do.
    /// </summary>
    public string? Authority { get; init; }

    /// <summary>The request's <c>:path</c>, query string included.</summary>
    public string Path { get; init; } = "/";

    /// <summary>The request's <c>:method</c>.</summary>
    public string Method { get; init; } = "GET";

    /// <summary>The request's other headers, in order; a name may repeat.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The SNI of a TLS call's ClientHello.</summary>
    public string? Sni { get; init; }

    /// <summary>The ALPN protocols a TLS call's ClientHello offers, in preference order.</summary>
    public IReadOnlyList<string> Alpn { get; init; } = [];

    /// <summary>What a TLS call carries once a proxy terminates its TLS (HTTP or TCP); null: opaque to the proxy.</summary>
    public CallProtocol? Inside { get; init; }

    /// <summary>The identity (URI subjectAltName) of a TLS call's client certificate; null: it presents none.</summary>
    public string? ClientIdentity { get; init; }

    /// <summary>The client's address (for source matching of filter chains).</summary>
    public string SourceAddress { get; init; } = "127.0.0.1";

    /// <summary>The client's port.</summary>
    public int SourcePort { get; init; } = 45678;

    /// <summary>An outbound HTTP/1.1 request with Host <paramref name="authority"/> to <paramref name="address"/>:<paramref name="port"/>.</summary>
    public static Call Http(string authority, string address, int port, string path = "/") =>
        new() { Address = address, Port = port, Authority = authority, Path = path };

    /// <summary>An outbound TCP connection to <paramref name="address"/>:<paramref name="port"/>.</summary>
    public static Call Tcp(string address, int port) =>
        new() { Address = address, Port = port, Protocol = CallProtocol.Tcp };

    /// <summary>An outbound TLS connection with SNI <paramref name="sni"/> the proxy passes through.</summary>
    public static Call Tls(string sni, string address, int port) =>
        new() { Address = address, Port = port, Protocol = CallProtocol.Tls, Sni = sni };

    /// <summary>
    /// Mesh mutual TLS from a sidecar with identity <paramref name="clientIdentity"/>, carrying
    /// <paramref name="inside"/>, offering <paramref name="alpn"/> (Istio's clients: <c>istio-http/1.1</c>
    /// for HTTP/1.1, <c>istio</c> for TCP).
    /// </summary>
    public static Call MutualTls(string? clientIdentity, string address, int port, CallProtocol inside, params string[] alpn) =>
        new() { Address = address, Port = port, Protocol = CallProtocol.Tls, Inside = inside, ClientIdentity = clientIdentity, Alpn = alpn, Authority = $"{address}:{port}" };

    /// <summary>This call, arriving at the workload from elsewhere (redirected to 15006).</summary>
    public Call Inbound() => this with { Mode = CallMode.Inbound };

    /// <summary>This call, sent straight to the address and port with no redirect (a gateway's listener).</summary>
    public Call Direct() => this with { Mode = CallMode.Direct };

    /// <summary>This call over HTTP/2.</summary>
    public Call OverHttp2() => this with { Protocol = CallProtocol.Http2 };

    /// <summary>This call with the path <paramref name="path"/>.</summary>
    public Call WithPath(string path) => this with { Path = path };

    /// <summary>This call with the method <paramref name="method"/>.</summary>
    public Call WithMethod(string method) => this with { Method = method };

    /// <summary>This call with one more header.</summary>
    public Call WithHeader(string name, string value) =>
        this with { Headers = [.. Headers, new KeyValuePair<string, string>(name, value)] };

    /// <summary>This call with one more query parameter appended to its path (both parts escaped).</summary>
    public Call WithQuery(string name, string value)
    {
        var separator = Path.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        return this with { Path = Path + separator + Uri.EscapeDataString(name) + "=" + Uri.EscapeDataString(value) };
    }

    /// <summary>The Host the client sends: <see cref="Authority"/>, or the destination as HTTP clients write it.</summary>
    public string EffectiveAuthority => Authority
        ?? (Port == 80 ? Address : string.Create(CultureInfo.InvariantCulture, $"{Address}:{Port}"));

    /// <summary>Whether the call is plaintext HTTP.</summary>
    public bool IsHttp => Protocol is CallProtocol.Http1 or CallProtocol.Http2;

    /// <inheritdoc/>
    public override string ToString() => IsHttp
        ? $"{Mode} {Protocol} {Method} {EffectiveAuthority}{Path} to {Address}:{Port}"
        : $"{Mode} {Protocol}{(Sni is null ? string.Empty : " sni " + Sni)} to {Address}:{Port}";
}
