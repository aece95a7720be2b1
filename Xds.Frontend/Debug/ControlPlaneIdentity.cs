using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using Envoy.Config.Core.V3;

namespace Mesh.Orleans.Xds.Frontend.Debug;

/// <summary>
/// This process as istiod names itself in <c>DiscoveryResponse.control_plane</c>: the JSON of
/// Istio's <c>IstioControlPlaneInstance</c>, which istioctl reads for its ISTIOD column (<c>ID</c>)
/// and <c>istioctl x version</c> (<c>Info.version</c>).
/// </summary>
public static class ControlPlaneIdentity
{
    /// <summary>
    /// <c>{"Component":"istiod","ID":"&lt;host&gt;/&lt;process id&gt;","Info":{"version",...}}</c>, with
    /// Istio's <c>BuildInfo</c> keys; <c>golang_version</c> names the .NET runtime.
    /// </summary>
    public static string Identifier { get; } = Build();

    /// <summary>A new <see cref="ControlPlane"/> carrying <see cref="Identifier"/>.</summary>
    public static ControlPlane Create() => new() { Identifier = Identifier };

    private static string Build()
    {
        var informational = typeof(ControlPlaneIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        var version = plus < 0 ? informational : informational[..plus];
        var revision = plus < 0 ? string.Empty : informational[(plus + 1)..];
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Component"] = "istiod",
            ["ID"] = $"{Environment.MachineName}/{Environment.ProcessId}",
            ["Info"] = new Dictionary<string, string>
            {
                ["version"] = version,
                ["revision"] = revision,
                ["golang_version"] = RuntimeInformation.FrameworkDescription,
                ["status"] = "Clean",
                ["tag"] = version,
            },
        });
    }
}
