namespace Mesh.Orleans.Xds.Frontend.Internal;

/// <summary>What one Delta stream has asked for, and what the client holds, for one type URL.</summary>
internal sealed class DeltaTypeState(string typeUrl)
{
    /// <summary>How many unanswered nonces are remembered; an ACK for an older one is stale.</summary>
    public const int RememberedNonces = 4;

    public string TypeUrl { get; } = typeUrl;

    public bool Requested { get; set; }

    /// <summary>Subscribed to every resource of the type ("*", or the legacy empty first request for LDS/CDS).</summary>
    public bool Wildcard { get; set; }

    /// <summary>Explicitly subscribed names.</summary>
    public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// What the client holds, name to version: seeded from initial_resource_versions, then
    /// updated as responses are sent (a NACKed version counts as held, so it is not re-sent).
    /// </summary>
    public Dictionary<string, string> ClientHas { get; } = new(StringComparer.Ordinal);

    /// <summary>Named resources already reported absent (in removed_resources), so that is said once.</summary>
    public HashSet<string> ReportedAbsent { get; } = new(StringComparer.Ordinal);

    /// <summary>Recent nonces sent for the type, with the system version each carried.</summary>
    public List<(string Nonce, string Version)> Nonces { get; } = [];

    public bool Wants(string name) => Wildcard || Names.Contains(name);
}
