using System.ComponentModel.DataAnnotations;

namespace Mesh.Orleans.Silo;

/// <summary>Where the process listens (section <c>Mesh</c>; the command-line flags set these).</summary>
public sealed class MeshHostOptions
{
    /// <summary>The configuration section the options bind to.</summary>
    public const string Section = "Mesh";

    /// <summary>What this process runs (<c>--role</c>): everything, only the silo and sources, or only an xDS frontend. Default <see cref="MeshRole.All"/>.</summary>
    public MeshRole Role { get; set; } = MeshRole.All;

    /// <summary>The address the xDS gRPC port binds to. Default 127.0.0.1; use 0.0.0.0 in a pod.</summary>
    [Required]
    public string XdsAddress { get; set; } = "127.0.0.1";

    /// <summary>The plaintext xDS port (<c>--xds-port</c>); 0 picks a free one. Default 15010, as istiod's.</summary>
    [Range(0, 65535)]
    public int XdsPort { get; set; } = 15010;

    /// <summary>
    /// The TLS xDS port (<c>--xds-tls-port</c>): the same xDS services and Istio's CA service over
    /// TLS with the mesh CA's server certificate; callers authenticate with a mesh client
    /// certificate or a bearer token. 0 picks a free one. Default 15012, as istiod's. Binds to
    /// <see cref="XdsAddress"/>.
    /// </summary>
    [Range(0, 65535)]
    public int XdsTlsPort { get; set; } = 15012;

    /// <summary>Refuses the plaintext xDS port (<c>--no-plaintext-xds</c>): only the TLS port serves.</summary>
    public bool NoPlaintextXds { get; set; }

    /// <summary>The address the debug HTTP port binds to. Default 127.0.0.1.</summary>
    [Required]
    public string DebugAddress { get; set; } = "127.0.0.1";

    /// <summary>The debug HTTP port (<c>--debug-port</c>); 0 picks a free one. Default 15014, as istiod's.</summary>
    [Range(0, 65535)]
    public int DebugPort { get; set; } = 15014;

    /// <summary>The Orleans silo-to-silo port (<c>--silo-port</c>). Default 11111.</summary>
    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary>The Orleans client gateway port (<c>--gateway-port</c>): the silo's own, or for a frontend the silo gateway it connects to (without <see cref="Redis"/>). Default 30000.</summary>
    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// The Redis server silos and frontends share (<c>--redis</c>): <c>HOST:PORT</c> or a
    /// StackExchange.Redis connection string. It holds Orleans membership (frontends find the
    /// silos' gateways there) and the grain state that must survive a silo. Null (the default):
    /// localhost clustering and in-memory state, one silo.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>
    /// The Orleans cluster and service id (<c>--service-id</c>): silos and frontends with the same
    /// Redis and id form one deployment; its state in Redis is kept under it. Default <c>mesh-orleans</c>.
    /// </summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$", ErrorMessage = "needs letters, digits, '.', '_' or '-' (at most 63)")]
    public string ServiceId { get; set; } = "mesh-orleans";

    /// <summary>
    /// The address a silo gives the others and the frontends to reach it with <see cref="Redis"/>
    /// (<c>--advertise-address</c>): its own IP on their network. Default 127.0.0.1 (every process
    /// on one host); in Kubernetes the pod's IP.
    /// </summary>
    [Required]
    public string AdvertiseAddress { get; set; } = "127.0.0.1";
}
