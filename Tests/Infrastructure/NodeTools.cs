using System.Security.Cryptography;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// Installs the test's Node packages (<c>npm ci</c> from the committed lock file) once per
/// lock file version, so a fresh machine needs nothing installed by hand.
/// </summary>
public static class NodeTools
{
    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static bool s_installed;

    /// <summary>The folder holding package.json and the scripts.</summary>
    public static string Directory { get; } = FindDirectory();

    /// <summary>Runs <c>npm ci</c> unless the installed packages already match the lock file.</summary>
    public static async Task EnsureInstalledAsync()
    {
        await s_gate.WaitAsync();
        try
        {
            if (s_installed)
            {
                return;
            }

            var lockHash = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(Directory, "package-lock.json"))));
            var stamp = Path.Combine(Directory, "node_modules", ".mesh-lock-hash");
            if (!File.Exists(stamp) || await File.ReadAllTextAsync(stamp) != lockHash)
            {
                var (code, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5));
                if (code != 0)
                {
                    throw new InvalidOperationException($"npm ci failed ({code}):\n{output}");
                }

                await File.WriteAllTextAsync(stamp, lockHash);
            }

            s_installed = true;
        }
        finally
        {
            s_gate.Release();
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] args, TimeSpan timeout)
    {
        var (code, stdout, stderr) = await ProcessRun.RunAsync(file, args, timeout, Directory);
        return (code, stdout + stderr);
    }

    private static string FindDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Tests", "node");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("Tests/node/package.json not found above " + AppContext.BaseDirectory);
    }
}
