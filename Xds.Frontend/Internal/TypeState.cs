namespace Mesh.Orleans.Xds.Frontend.Internal;

/// <summary>What one SotW stream has asked for and been sent, for one type URL.</summary>
internal sealed class TypeState(string typeUrl)
{
    public string TypeUrl { get; } = typeUrl;

    /// <summary>True once the client sent any request for the type.</summary>
    public bool Requested { get; set; }

    /// <summary>Subscribed to every resource of the type ("*", or the legacy empty first request for LDS/CDS).</summary>
    public bool Wildcard { get; set; }

    /// <summary>True while the wildcard came from the legacy empty first request (so later empty requests keep it).</summary>
    public bool LegacyWildcard { get; set; }

    /// <summary>Explicitly named resources.</summary>
    public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

    /// <summary>The nonce of the last response; a request naming another nonce is stale.</summary>
    public string? Nonce { get; set; }

    /// <summary>The version_info of the last response.</summary>
    public string? SentVersion { get; set; }

    /// <summary>The last version the client ACKed.</summary>
    public string? AckedVersion { get; set; }

    /// <summary>The last version the client NACKed; not sent again until the content changes.</summary>
    public string? NackedVersion { get; set; }

    /// <summary>What the client holds (as far as this stream sent it), by name.</summary>
    public Dictionary<string, CachedResource> Sent { get; } = new(StringComparer.Ordinal);

    /// <summary>True once any response for the type went out.</summary>
    public bool EverSent => Nonce is not null;

    /// <summary>Whether the stream subscribes to <paramref name="name"/>.</summary>
    public bool Wants(string name) => Wildcard || Names.Contains(name);
}
