namespace Mesh.Orleans.Silo.Sources.Files;

/// <summary>
/// One YAML file a walk found. For a symbolic link, the size, time and path are its final
/// target's: Kubernetes mounts a ConfigMap as links into a folder that is swapped on update,
/// and only the target shows the change.
/// </summary>
/// <param name="RelativePath">The path below the walked directory, as the operator sees it.</param>
/// <param name="ReadPath">The path to read (the final target for a link).</param>
/// <param name="Length">Size in bytes.</param>
/// <param name="WrittenUtc">Last write time.</param>
public sealed record ListedFile(string RelativePath, string ReadPath, long Length, DateTime WrittenUtc);
