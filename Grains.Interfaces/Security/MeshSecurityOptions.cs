using System.ComponentModel.DataAnnotations;

namespace Mesh.Orleans.Grains.Interfaces.Security;

/// <summary>The mesh's security settings (section <c>Mesh:Security</c>): the CA's, and what the xDS frontend needs to authenticate callers and hand out certificates.</summary>
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
    public TimeSpan WorkloadCertLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The longest lifetime a caller of the CA service may ask for (Istio's <c>MAX_WORKLOAD_CERT_TTL</c>, 90 days); a longer request is refused.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan MaxWorkloadCertLifetime { get; set; } = TimeSpan.FromDays(90);

    /// <summary>
    /// A static token file for YAML-directory mode (<c>--token-file</c>): one <c>TOKEN NAMESPACE
    /// SERVICEACCOUNT</c> per line, <c>#</c> comments. Unset: bearer tokens are checked with the
    /// Kubernetes TokenReview API when a Kubernetes API is configured, else refused.
    /// </summary>
    public string? TokenFile { get; set; }

    /// <summary>The DNS names in the TLS xDS port's server certificate (clients check the name they dial against them); Istio's istiod answers as <c>istiod.istio-system.svc</c>.</summary>
    public List<string> XdsServerNames { get; set; } = ["istiod.istio-system.svc", "localhost"];

    /// <summary>The token audience asked of the Kubernetes TokenReview API (Istio's <c>istio-ca</c>).</summary>
    public string TokenAudience { get; set; } = "istio-ca";

    /// <summary>
    /// How often a frontend asks the member clusters again for the gateway credentials (Secrets
    /// named by <c>credentialName</c>) its streams serve: a rotated Secret reaches gateways within it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan CredentialRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);
}
