using System.CommandLine;
using System.Reflection;
using Mesh.Orleans.Cli.Output;

namespace Mesh.Orleans.Cli.Commands;

/// <summary>
/// <c>mesh version [--debug URL]</c>: the tool's version (its assembly's informational version)
/// and, when the control plane's debug port is given and its <c>/debug/stats</c> carries a
/// <c>version</c>, the control plane's. A control plane that reports none adds no line; one
/// that cannot be reached is an error (exit 1) after the client's line.
/// </summary>
internal static class VersionCommand
{
    /// <summary>The tool's version, as <c>dotnet tool list</c> and <c>mesh --version</c> show it.</summary>
    public static string ClientVersion { get; } =
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>The <c>version</c> command, printing to <paramref name="output"/>.</summary>
    public static Command Create(TextWriter output)
    {
        var debug = new Option<string?>("--debug") { Description = "The control plane's debug port URL (such as " + DebugClient.DefaultUrl + "), to print its version too" };
        var command = new Command("version", "Prints the version of mesh and, with --debug, of the control plane") { debug };
        command.SetAction((parsed, cancellationToken) => RunAsync(parsed.GetValue(debug), output, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? url, TextWriter output, CancellationToken cancellationToken)
    {
        using var client = url is null ? null : DebugClient.Create(url);
        await output.WriteLineAsync("client version: " + ClientVersion);
        if (client is null)
        {
            return ExitCodes.Ok;
        }

        using var stats = await client.GetJsonAsync("/debug/stats", cancellationToken);
        if (stats.RootElement.Text("version") is { Length: > 0 } version)
        {
            await output.WriteLineAsync("control plane version: " + DebugClient.Printable(version));
        }

        return ExitCodes.Ok;
    }
}
