namespace Mesh.Orleans.Grains.Interfaces.Proxies;

/// <summary>What happened to a response on an xDS stream.</summary>
public enum ProxyEventKind
{
    /// <summary>The server sent a response.</summary>
    Sent = 0,

    /// <summary>The proxy accepted the response with that nonce.</summary>
    Acked = 1,

    /// <summary>The proxy rejected the response with that nonce (error_detail set).</summary>
    Nacked = 2,

    /// <summary>The proxy changed what it subscribes to; the event carries the names ("*" for the wildcard).</summary>
    Subscribed = 3,
}
