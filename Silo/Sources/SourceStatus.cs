using Mesh.Orleans.Silo.Sources.Files;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>What a YAML directory source last saw, for <c>/debug/config</c> and the log.</summary>
/// <param name="Directory">The directory watched (full path).</param>
/// <param name="State">Where the source stands.</param>
/// <param name="Since">When it entered <paramref name="State"/>.</param>
/// <param name="Error">Why the source is unavailable or degraded.</param>
/// <param name="LastApplied">When a pass was last applied to the mesh.</param>
/// <param name="Files">YAML files in the last complete or partial listing.</param>
/// <param name="Listing">The last listing (skipped links, unreadable folders, a bound reached), or null before the first.</param>
/// <param name="Report">What the last read held beside the routing objects (ignored objects, skipped kinds, objects per kind).</param>
public sealed record SourceStatus(
    string Directory,
    SourceState State,
    DateTimeOffset Since,
    string? Error,
    DateTimeOffset? LastApplied,
    int Files,
    DirectoryListing? Listing,
    AssemblyReport? Report = null);
