namespace Mesh.Orleans.Cli;

/// <summary>The <c>mesh</c> executable: the command line on the console.</summary>
internal static class Program
{
    /// <summary>Runs the command <paramref name="args"/> name and returns its exit code (see <see cref="ExitCodes"/>).</summary>
    private static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl+C cancels the request in flight; the command then ends by itself.
            e.Cancel = true;
            cancel.Cancel();
        };
        return await MeshCli.RunAsync(args, Console.Out, Console.Error, cancel.Token);
    }
}
