namespace Mesh.Orleans.Grains;

/// <summary>
/// A sidecar listener name that several hostnames' resources hold (Envoy keeps one listener
/// per name): the hostname whose listener is served and those that are not.
/// </summary>
/// <param name="Listener">The listener name, <c>&lt;address&gt;_&lt;port&gt;</c>.</param>
/// <param name="Served">The hostname whose listener is served: the first in ordinal order.</param>
/// <param name="Shadowed">The hostnames whose listener of that name is not served.</param>
internal sealed record ListenerConflict(string Listener, string Served, IReadOnlyList<string> Shadowed);
