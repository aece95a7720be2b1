namespace Mesh.Orleans.Silo;

/// <summary>What one control-plane process runs.</summary>
public enum MeshRole
{
    /// <summary>Silo, sources and xDS frontend in one process (the default).</summary>
    All = 0,

    /// <summary>The Orleans silo and the sources; no xDS port.</summary>
    Silo = 1,

    /// <summary>Only an xDS frontend: an Orleans client of the silos' gateway.</summary>
    Frontend = 2,
}
