namespace Mesh.Orleans.Bench;

/// <summary>Where the registry scenario's control plane reads the mesh from.</summary>
internal enum RegistrySource
{
    /// <summary>A Kubernetes API (the in-process fake), through <c>--clusters FILE</c>.</summary>
    Kubernetes,

    /// <summary>A YAML directory holding one file per object, through <c>--config DIR</c>.</summary>
    Directory,

    /// <summary>A YAML directory holding one multi-document file, through <c>--config DIR</c>.</summary>
    File,
}
