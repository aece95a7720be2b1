namespace Mesh.Orleans.Silo.Debug;

/// <summary>Whether this process reached the Orleans cluster when <c>/debug/stats</c> asked, and why not.</summary>
/// <param name="Connected">True when the cluster answered within the bound.</param>
/// <param name="Error">Why it did not: the error, or that it did not answer in time.</param>
public sealed record SiloConnection(bool Connected, string? Error);
