namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>Which generated configuration a patch matches (Istio's <c>EnvoyFilter.PatchContext</c>); the numbers are Istio's.</summary>
public enum EnvoyFilterContext
{
    /// <summary>Any of the others (the default).</summary>
    Any = 0,

    /// <summary>A sidecar's inbound side: <c>virtualInbound</c>, <c>inbound|</c> clusters and routes.</summary>
    SidecarInbound = 1,

    /// <summary>A sidecar's outbound side: every other listener, route configuration and cluster of a sidecar.</summary>
    SidecarOutbound = 2,

    /// <summary>A gateway (a <c>router</c> proxy).</summary>
    Gateway = 3,
}
