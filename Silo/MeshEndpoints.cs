using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Mesh.Orleans.Silo;

/// <summary>The listeners the host configured; after start they carry the bound ports (port 0 resolved).</summary>
public sealed class MeshEndpoints
{
    /// <summary>The xDS listener, or null when this process runs no frontend.</summary>
    public ListenOptions? Xds { get; internal set; }

    /// <summary>The TLS xDS listener, or null when this process runs no frontend.</summary>
    public ListenOptions? XdsTls { get; internal set; }

    internal ListenOptions? Debug { get; set; }

    /// <summary>The bound xDS endpoint.</summary>
    public IPEndPoint XdsEndpoint => Xds?.IPEndPoint ?? throw new InvalidOperationException("the host is not configured");

    /// <summary>The bound TLS xDS endpoint.</summary>
    public IPEndPoint XdsTlsEndpoint => XdsTls?.IPEndPoint ?? throw new InvalidOperationException("the host is not configured");

    /// <summary>The bound debug endpoint.</summary>
    public IPEndPoint DebugEndpoint => Debug?.IPEndPoint ?? throw new InvalidOperationException("the host is not configured");
}
