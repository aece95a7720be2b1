namespace Mesh.Orleans.Cli.Commands;

/// <summary>One line of <c>mesh analyze</c>: where, which object, which field, and why.</summary>
/// <param name="File">The file as the user would open it (DIR joined with the path below it); empty when no file is known.</param>
/// <param name="Kind">The object's kind; empty for a file or folder that could not be read, or a document whose kind could not be read.</param>
/// <param name="Namespace">The object's namespace; empty when cluster-scoped or unknown.</param>
/// <param name="Name">The object's name, or the document (<c>document 2</c>) when it has none.</param>
/// <param name="Field">The offending field path; empty for the whole object.</param>
/// <param name="Reason">What is wrong, as the control plane says it.</param>
internal sealed record Problem(string File, string Kind, string Namespace, string Name, string Field, string Reason)
{
    /// <summary>
    /// <c>FILE: KIND NAMESPACE/NAME: FIELD: REASON</c>, leaving out what is empty (a file that is
    /// not YAML is <c>FILE: REASON</c>).
    /// </summary>
    public override string ToString()
    {
        var target = Kind.Length == 0 ? Name : Namespace.Length == 0 ? $"{Kind} {Name}" : $"{Kind} {Namespace}/{Name}";
        return string.Join(": ", new[] { File, target, Field, Reason }.Where(p => p.Length > 0));
    }
}
