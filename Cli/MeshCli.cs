using System.CommandLine;

namespace Mesh.Orleans.Cli;

/// <summary>
/// The <c>mesh</c> command line: <c>version</c>, <c>analyze</c>, <c>proxy-status</c> and
/// <c>proxy-config</c>. Everything it prints goes to the writers it is given, so tests drive it
/// in-process exactly as the executable does; what goes wrong ends as one <c>error:</c> line on
/// the error writer and an exit code (<see cref="ExitCodes"/>), never as a stack trace.
/// </summary>
public static class MeshCli
{
    /// <summary>Runs the command <paramref name="args"/> name and returns its exit code.</summary>
    /// <param name="args">The arguments after the program's name.</param>
    /// <param name="output">Where the command's output goes (the console's standard output).</param>
    /// <param name="error">Where errors go (the console's standard error).</param>
    /// <param name="cancellationToken">Cancels a request to the control plane in flight.</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);

        var root = new RootCommand("mesh: checks Istio-style YAML offline as the Mesh.Orleans control plane would, and shows what a running control plane sends its proxies.");
        root.Subcommands.Add(Commands.VersionCommand.Create(output));
        root.Subcommands.Add(Commands.AnalyzeCommand.Create(output));
        root.Subcommands.Add(Commands.ProxyStatusCommand.Create(output));
        root.Subcommands.Add(Commands.ProxyConfigCommand.Create(output));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var problem in parsed.Errors)
            {
                await error.WriteLineAsync("error: " + problem.Message);
            }

            await error.WriteLineAsync("Run 'mesh --help' (or 'mesh COMMAND --help') for usage.");
            return ExitCodes.Usage;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (CliException exception)
        {
            await error.WriteLineAsync("error: " + exception.Message);
            return exception.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("error: cancelled");
            return ExitCodes.Failed;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // A bug of the tool itself: still one line the user can report, not a stack trace.
            await error.WriteLineAsync($"error: unexpected {exception.GetType().Name}: {DebugClient.Printable(exception.Message)}");
            return ExitCodes.Failed;
        }
    }
}
