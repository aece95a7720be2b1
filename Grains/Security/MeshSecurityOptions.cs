using System.ComponentModel.DataAnnotations;

namespace Mesh.Orleans.Grains.Security;

/// <summary>The mesh CA's settings (section <c>Mesh:Security</c>).</summary>
public sealed class MeshSecurityOptions
{
    /// <summary>The configuration section the options bind to.</summary>
    public const string Section = "Mesh:Security";

    /// <summary>The trust domain of workload identities (<c>spiffe://&lt;trust-domain&gt;/...</c>); Istio's default <c>cluster.local</c>.</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression("^[a-z0-9._-]{1,255}$", ErrorMessage = "must be a lower-case DNS-like name")]
    public string TrustDomain { get; set; } = SpiffeId.DefaultTrustDomain;

    /// <summary>A plug-in CA's signing certificate (PEM file; Istio's <c>ca-cert.pem</c>); with <see cref="CaKeyFile"/>. Unset: a self-signed root.</summary>
    public string? CaCertFile { get; set; }

    /// <summary>The plug-in CA's private key (PEM file; Istio's <c>ca-key.pem</c>).</summary>
    public string? CaKeyFile { get; set; }

    /// <summary>The chain above the plug-in CA's certificate up to the root (PEM file; Istio's <c>cert-chain.pem</c> without the first certificate), when it is an intermediate.</summary>
    public string? CaChainFile { get; set; }

    /// <summary>How long a workload certificate lasts (Istio's default 24 h).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan WorkloadCertLifetime { get; set; } = MeshCertificateAuthority.DefaultWorkloadLifetime;
}
