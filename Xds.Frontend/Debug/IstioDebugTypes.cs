namespace Mesh.Orleans.Xds.Frontend.Debug;

/// <summary>
/// The type URLs istioctl asks over ADS instead of resource types (istiod's
/// <c>pilot/pkg/xds/statusgen.go</c>): <see cref="Syncz"/> (<c>istioctl proxy-status</c>) and
/// <see cref="ConfigDump"/> (<c>istioctl proxy-status &lt;pod&gt;.&lt;ns&gt;</c>).
/// </summary>
public static class IstioDebugTypes
{
    /// <summary>istiod's <c>v3.DebugType</c> (<c>istioctl x internal-debug</c>), which this control plane answers empty.</summary>
    public const string Debug = "istio.io/debug";

    /// <summary>What every debug type URL starts with.</summary>
    public const string Prefix = Debug + "/";

    /// <summary>The sync status of each proxy connected here, as <c>envoy.service.status.v3.ClientConfig</c>s.</summary>
    public const string Syncz = Prefix + "syncz";

    /// <summary>One proxy's configuration (resource name <c>&lt;pod&gt;.&lt;ns&gt;</c>), as the <c>envoy.admin.v3</c> dumps of a ConfigDump.</summary>
    public const string ConfigDump = Prefix + "config_dump";

    /// <summary>Whether <paramref name="typeUrl"/> is an Istio debug type rather than a resource type.</summary>
    public static bool IsDebug(string typeUrl)
    {
        ArgumentNullException.ThrowIfNull(typeUrl);
        return typeUrl == Debug || typeUrl.StartsWith(Prefix, StringComparison.Ordinal);
    }
}
