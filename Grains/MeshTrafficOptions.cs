using System.ComponentModel.DataAnnotations;

namespace Mesh.Orleans.Grains;

/// <summary>Mesh-wide traffic settings (section <c>Mesh:Traffic</c>), as Istio's MeshConfig has them.</summary>
public sealed class MeshTrafficOptions
{
    /// <summary>The configuration section the options bind to.</summary>
    public const string Section = "Mesh:Traffic";

    /// <summary>
    /// What a sidecar does with outbound traffic to a destination the mesh does not know
    /// (Istio's <c>outboundTrafficPolicy.mode</c>): <c>ALLOW_ANY</c> (the default) passes it through
    /// to where it was going (<c>PassthroughCluster</c>); <c>REGISTRY_ONLY</c> drops it
    /// (<c>BlackHoleCluster</c>, and HTTP answered 502).
    /// </summary>
    [RegularExpression("^(ALLOW_ANY|REGISTRY_ONLY)$", ErrorMessage = "must be ALLOW_ANY or REGISTRY_ONLY")]
    public string OutboundTrafficPolicy { get; set; } = "ALLOW_ANY";

    /// <summary>True under <c>REGISTRY_ONLY</c>.</summary>
    public bool RegistryOnly => OutboundTrafficPolicy == "REGISTRY_ONLY";
}
