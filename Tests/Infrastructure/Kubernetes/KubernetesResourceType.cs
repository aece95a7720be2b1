namespace Mesh.Orleans.Tests.Infrastructure.Kubernetes;

/// <summary>
/// One resource type the fake API server serves, as the real server's discovery documents describe
/// it: where it lives (<see cref="Group"/>, <see cref="Version"/>, <see cref="Resource"/>), what its
/// objects are called (<see cref="Kind"/>) and whether they belong to a namespace.
/// </summary>
/// <param name="Group">The API group; empty for the core group served under <c>/api/v1</c>.</param>
/// <param name="Version">The version, such as <c>v1</c>.</param>
/// <param name="Resource">The plural resource name used in paths, such as <c>services</c>.</param>
/// <param name="Kind">The object kind, such as <c>Service</c>.</param>
/// <param name="Namespaced">Whether objects live in a namespace.</param>
/// <param name="IsCustom">Whether the type comes from a CustomResourceDefinition that can be uninstalled.</param>
public sealed record KubernetesResourceType(string Group, string Version, string Resource, string Kind, bool Namespaced, bool IsCustom)
{
    /// <summary>The <c>apiVersion</c> of the type's objects: <c>v1</c> or <c>group/version</c>.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    /// <summary>The kind of a list of these objects, such as <c>ServiceList</c>.</summary>
    public string ListKind => Kind + "List";

    /// <summary>The path prefix of the type's group version: <c>/api/v1</c> or <c>/apis/group/version</c>.</summary>
    public string GroupVersionPath => Group.Length == 0 ? "/api/" + Version : "/apis/" + Group + "/" + Version;
}
