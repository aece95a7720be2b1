namespace Mesh.Orleans.Silo;

/// <summary>A setting that keeps the process from starting; the message is one line naming the flag and its value.</summary>
public sealed class MeshStartupException(string message) : Exception(message)
{
}
