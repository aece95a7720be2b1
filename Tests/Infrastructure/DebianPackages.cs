namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// Installs a Debian package the tests need when its executable is missing (the fresh machine's
/// case), as root, with service starts denied so the package leaves no daemon running. One install
/// at a time in the process: apt and dpkg hold one lock.
/// </summary>
public static class DebianPackages
{
    private static readonly SemaphoreSlim s_install = new(1, 1);

    /// <summary>Installs <paramref name="package"/> unless <paramref name="executable"/> exists; each apt step bounded by <paramref name="timeout"/>.</summary>
    public static async Task EnsureInstalledAsync(string package, string executable, TimeSpan timeout)
    {
        if (File.Exists(executable))
        {
            return;
        }

        await s_install.WaitAsync();
        try
        {
            if (File.Exists(executable))
            {
                return;
            }

            const string policy = "/usr/sbin/policy-rc.d";
            var ownPolicy = !File.Exists(policy);
            if (ownPolicy)
            {
                await File.WriteAllTextAsync(policy, "#!/bin/sh\nexit 101\n");
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(policy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
                }
            }

            try
            {
                await RunAsync(timeout, "apt-get", "update", "-qq");
                await RunAsync(timeout, "apt-get", "install", "-y", "-qq", "--no-install-recommends", package);
            }
            finally
            {
                if (ownPolicy)
                {
                    File.Delete(policy);
                }
            }

            if (!File.Exists(executable))
            {
                throw new InvalidOperationException($"installing {package} left no {executable}");
            }
        }
        finally
        {
            s_install.Release();
        }
    }

    private static async Task RunAsync(TimeSpan timeout, string file, params string[] args)
    {
        var (code, stdout, stderr) = await ProcessRun.RunAsync(file, args, timeout, environment: new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" });
        if (code != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({code}): {stdout} {stderr}");
        }
    }
}
