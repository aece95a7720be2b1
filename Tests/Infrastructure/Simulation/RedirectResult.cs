namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>A redirect the proxy answers with instead of forwarding.</summary>
/// <param name="Status">The HTTP status (301, 302, 303, 307 or 308).</param>
/// <param name="Location">The <c>location</c> header Envoy would send.</param>
public sealed record RedirectResult(int Status, string Location);
