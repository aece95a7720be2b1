namespace Mesh.Orleans.Cli;

/// <summary>
/// What <c>mesh</c> exits with, so that a CI job can tell a bad configuration from a bad
/// command line: <c>mesh analyze</c> fails a pipeline with 1 when the control plane would
/// refuse an object, and with 2 when it was not run on a directory at all.
/// </summary>
public static class ExitCodes
{
    /// <summary>Done: the directory is valid (warnings allowed), or the control plane answered.</summary>
    public const int Ok = 0;

    /// <summary>The directory holds an object the control plane would reject, or the control plane could not be read.</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong: an unknown command or flag, a missing argument, a directory that does not exist, a URL that is not http(s).</summary>
    public const int Usage = 2;
}
