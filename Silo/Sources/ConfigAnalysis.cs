using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Registry;
using Mesh.Orleans.Silo.Sources.Files;
using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>
/// What the control plane would make of a directory of YAML, worked out offline with the very
/// code that serves it: the walk of <see cref="YamlDirectorySource"/> (<see cref="DirectoryWalker"/>
/// through <see cref="ParsedFileCache"/>, with the same bounds), every object validated by
/// <see cref="KubernetesObjectParser"/>, duplicates settled by <see cref="ConfigAssembler"/>,
/// and the dangling references a ClusterGrain reports, from a <see cref="ClusterIndex"/> fed
/// exactly what the grain would be fed. <c>mesh analyze</c> prints it, so that a CI job can
/// refuse what the mesh would refuse before anything is applied.
/// </summary>
/// <param name="Listing">What the walk found, including folders it could not read and links it did not follow.</param>
/// <param name="Files">Each file read, with its documents or why it could not be read.</param>
/// <param name="Rejected">The objects (and files) the control plane would refuse, in file order.</param>
/// <param name="Warnings">Valid objects that refer to what the directory does not declare, as <c>/debug/config</c> lists them.</param>
/// <param name="Report">Objects that apply to nothing, kinds the mesh does not read, and objects held per kind.</param>
public sealed record ConfigAnalysis(
    DirectoryListing Listing,
    IReadOnlyList<ParsedFile> Files,
    IReadOnlyList<RejectedObject> Rejected,
    IReadOnlyList<ConfigWarning> Warnings,
    AssemblyReport Report)
{
    /// <summary>How many documents (objects, valid or not) the files hold.</summary>
    public int Objects => Files.Sum(f => f.Documents.Count);

    /// <summary>
    /// Reads and analyses <paramref name="directory"/> once. When the directory itself cannot be
    /// listed, <see cref="Listing"/> says why and nothing else is filled in.
    /// </summary>
    /// <param name="directory">The directory, as a control plane would be given it with <c>--config</c>.</param>
    /// <param name="options">The source's settings (bounds, member cluster id); the defaults when null.</param>
    public static ConfigAnalysis Run(string directory, YamlSourceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var settings = options ?? new YamlSourceOptions();
        var (listing, files) = new ParsedFileCache().ReadDirectory(Path.GetFullPath(directory), settings);
        if (!listing.Available)
        {
            return new ConfigAnalysis(listing, [], [], [], AssemblyReport.Empty);
        }

        var assembler = new ConfigAssembler();
        assembler.Sync(files);

        // What a ClusterGrain's first full apply hands its index; its warnings are what the
        // grain would report (the EnvoyFilter patch problems that scopes report later aside).
        var index = new ClusterIndex();
        index.Replace(assembler.TakeChanges(full: true).Upserted);
        var ordered = files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        return new ConfigAnalysis(listing, ordered, assembler.Rejected, index.Warnings, assembler.Report);
    }

    /// <summary>
    /// The file that serves the valid object <paramref name="kind"/> <paramref name="ns"/>/<paramref name="name"/>
    /// (the first by path, as <see cref="ConfigAssembler"/> picks it), or null when none does.
    /// </summary>
    public string? SourceOf(string kind, string ns, string name)
    {
        var key = new ObjectKey(kind, ns, name);
        return Files.FirstOrDefault(f => f.Documents.Any(d => d.Key == key && d.Rejection is null))?.Path;
    }
}
