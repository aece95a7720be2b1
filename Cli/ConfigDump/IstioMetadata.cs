using System.Text.Json;
using Mesh.Orleans.Cli.Output;

namespace Mesh.Orleans.Cli.ConfigDump;

/// <summary>
/// The Istio config a resource came from, as istiod marks it and istioctl prints it
/// (<c>describeManagement</c>): <c>metadata.filter_metadata.istio.config</c> holds a path such
/// as <c>/apis/networking.istio.io/v1/namespaces/default/destination-rule/reviews</c>, shown
/// as <c>reviews.default</c>.
/// </summary>
internal static class IstioMetadata
{
    /// <summary>The <c>name.namespace</c> of the config that made <paramref name="resource"/>; empty when it carries none.</summary>
    public static string Describe(JsonElement resource)
    {
        var config = resource.Text("metadata", "filter_metadata", "istio", "config");
        if (config.Length == 0)
        {
            return string.Empty;
        }

        if (!config.StartsWith("/apis/networking.istio.io/", StringComparison.Ordinal))
        {
            return "<unknown>";
        }

        var pieces = config.Split('/');
        return pieces.Length == 8 ? $"{pieces[7]}.{pieces[5]}" : string.Empty;
    }
}
