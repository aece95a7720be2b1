using System.ComponentModel.DataAnnotations;

namespace Mesh.Orleans.Grains;

/// <summary>Settings of <see cref="ProxyGrain"/> (section <c>Mesh:Proxy</c>).</summary>
public sealed class ProxyGrainOptions
{
    /// <summary>The configuration section the options bind to.</summary>
    public const string Section = "Mesh:Proxy";

    /// <summary>
    /// How long a ProxyGrain whose proxy has no open stream stays active before Orleans collects
    /// it (a proxy with an open stream is kept however quiet it is). Time span; default 3 min.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(3);
}
