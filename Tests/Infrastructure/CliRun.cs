using Mesh.Orleans.Cli;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>Runs the <c>mesh</c> command line in-process, as the executable runs it, and keeps what it printed.</summary>
public static class CliRun
{
    /// <summary>Runs <c>mesh <paramref name="args"/></c>; fails the test if it outlives 30 s.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var code = await MeshCli.RunAsync(args, output, error, timeout.Token).WaitAsync(TimeSpan.FromSeconds(40));
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>The lines of <paramref name="text"/>, without the empty one after the last newline.</summary>
    public static string[] Lines(string text) => text.Split('\n').SkipLast(text.EndsWith('\n') ? 1 : 0).ToArray();
}
