namespace Mesh.Orleans.Cli;

/// <summary>
/// A failure the user can act on, printed as one line (<c>error: </c> and the message, never a
/// stack trace) and turned into the exit code it carries.
/// </summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Failed) : Exception(message)
{
    /// <summary>The exit code the command ends with.</summary>
    public int ExitCode { get; } = exitCode;
}
