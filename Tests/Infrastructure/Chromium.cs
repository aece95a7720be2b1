using System.Diagnostics;
using System.Globalization;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// Debian's headless Chromium, for tests of the debug port's status page in a real browser. When
/// the machine lacks <c>/usr/bin/chromium</c>, the first use installs Debian's <c>chromium</c>
/// package (as root, with service starts denied). Each run gets a new empty profile and the flags
/// that keep Chromium off the network (no background requests, no component updates, no QUIC),
/// and is killed with its whole process tree when it ends or outlives its timeout.
/// </summary>
public static class Chromium
{
    private const string Executable = "/usr/bin/chromium";

    /// <summary>
    /// Loads <paramref name="url"/>, lets the page run for <paramref name="virtualTime"/> of
    /// virtual time (its timers and fetches), and returns the DOM as it then stands and the lines
    /// the page wrote to its console (messages, uncaught errors, CSP violations), one per line.
    /// </summary>
    public static async Task<(string Dom, IReadOnlyList<string> Console)> DumpDomAsync(Uri url, TimeSpan virtualTime, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(url);
        var (stdout, stderr) = await RunAsync(
            ["--enable-logging=stderr", "--v=0", VirtualTimeBudget(virtualTime), "--dump-dom", url.AbsoluteUri],
            timeout);

        // Chromium logs each console message of a page as "...:INFO:CONSOLE:<line>] "<text>", source: <url> (<line>)".
        var console = stderr.Split('\n')
            .Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal))
            .ToList();
        return (stdout, console);
    }

    /// <summary>Loads <paramref name="url"/> at <paramref name="width"/> x <paramref name="height"/> and writes a PNG screenshot to <paramref name="path"/>.</summary>
    public static async Task ScreenshotAsync(Uri url, string path, int width, int height, TimeSpan virtualTime, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(url);
        await RunAsync(
            ["--hide-scrollbars", string.Create(CultureInfo.InvariantCulture, $"--window-size={width},{height}"), VirtualTimeBudget(virtualTime), "--screenshot=" + Path.GetFullPath(path), url.AbsoluteUri],
            timeout);
    }

    private static string VirtualTimeBudget(TimeSpan time) =>
        string.Create(CultureInfo.InvariantCulture, $"--virtual-time-budget={(long)time.TotalMilliseconds}");

    private static async Task<(string Stdout, string Stderr)> RunAsync(IEnumerable<string> args, TimeSpan timeout)
    {
        await DebianPackages.EnsureInstalledAsync("chromium", Executable, TimeSpan.FromMinutes(10));
        var profile = Directory.CreateTempSubdirectory("mesh-chromium-").FullName;
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] common =
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
            "--user-data-dir=" + profile,
        ];
        foreach (var arg in common.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start chromium");
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"chromium did not finish within {timeout}: {string.Join(' ', start.ArgumentList)}");
            }

            return (await stdout, await stderr);
        }
        finally
        {
            // Chromium's helper processes (zygote, renderer, GPU) go with it.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await process.WaitForExitAsync(wait.Token);
            }

            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                // A helper still closing a file; the temporary folder is left behind.
            }
        }
    }
}
