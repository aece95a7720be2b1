using System.Globalization;
using System.Text;

namespace Mesh.Orleans.Bench;

/// <summary>
/// The churn scenario's mesh on disk: every Service and EndpointSlice in one multi-document
/// <c>mesh.yaml</c>, so that a change of any number of services is one rewrite of one file.
/// </summary>
internal static class ChurnMesh
{
    public const string FileName = "mesh.yaml";

    /// <summary>
    /// Writes the mesh with the first <paramref name="moving"/> services at <paramref name="generation"/>
    /// and the rest at generation 0 (a temporary file renamed over the old one).
    /// </summary>
    public static void Write(string directory, int services, int endpoints, int moving, int generation)
    {
        var yaml = new StringBuilder();
        for (var i = 0; i < services; i++)
        {
            var name = MeshFiles.ServiceName(i);
            if (i > 0)
            {
                yaml.Append("---\n");
            }

            yaml.Append(MeshFiles.Header(name, MeshFiles.Namespace));
            var g = i < moving ? generation : 0;
            for (var e = 0; e < endpoints; e++)
            {
                // Every endpoint of a moving service gets a new address; 127.0.0.0/8, which nothing ever dials.
                var third = (g * endpoints + e) % 250;
                yaml.Append(CultureInfo.InvariantCulture, $"  - addresses: [\"127.{i / 250 + 1}.{third}.{i % 250 + 1}\"]\n    zone: zone-{e % 3}\n");
            }
        }

        var path = Path.Combine(directory, FileName);
        var temporary = Path.Combine(directory, "." + FileName + ".tmp");
        File.WriteAllText(temporary, yaml.ToString());
        File.Move(temporary, path, overwrite: true);
    }
}
