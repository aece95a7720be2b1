namespace Mesh.Orleans.Silo.Sources;

/// <summary>Where a source stands, as <c>/debug/config</c> shows it.</summary>
public enum SourceState
{
    /// <summary>Not read yet.</summary>
    Starting = 0,

    /// <summary>Read and applied; watching for changes.</summary>
    Watching = 1,

    /// <summary>The directory cannot be listed (gone, unmounted, unreadable): the last good configuration keeps serving and the directory is looked for until it returns.</summary>
    Unavailable = 2,

    /// <summary>The source failed unexpectedly: the last good configuration keeps serving and the source retries with back-off.</summary>
    Degraded = 3,

    /// <summary>Another silo of the deployment reads the source; this one takes over when that silo's lease runs out.</summary>
    Standby = 4,
}
