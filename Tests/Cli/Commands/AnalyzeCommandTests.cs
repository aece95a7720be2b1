using System.Text.Json;
using Mesh.Orleans.Cli;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Cli.Commands;

/// <summary><c>mesh analyze</c> on directories of valid, invalid and hostile YAML.</summary>
public sealed class AnalyzeCommandTests : IDisposable
{
    private const string Reviews = """
        apiVersion: v1
        kind: Service
        metadata:
          name: reviews
          namespace: default
        spec:
          ports:
            - name: http
              port: 9080
        """;

    private const string ReviewsRoute = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts: [reviews]
          http:
            - route:
                - destination:
                    host: reviews
        """;

    private const string RatingsRoute = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: to-ratings
          namespace: default
        spec:
          hosts: [reviews]
          http:
            - route:
                - destination:
                    host: ratings
        """;

    private const string BadPort = """
        apiVersion: v1
        kind: Service
        metadata:
          name: bad
        spec:
          ports:
            - name: http
              port: 70000
        """;

    private readonly TempDirectory _folder = new();

    [Fact]
    public async Task Analyze_ValidDirectory_SaysSoAndExitsZero()
    {
        _folder.Write("reviews.yaml", Reviews);
        _folder.Write("routes/reviews.yaml", ReviewsRoute);
        _folder.Write("README.txt", "not YAML, not read");

        var (code, stdout, stderr) = await CliRun.RunAsync("analyze", _folder.Path);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal(["0 errors, 0 warnings in 2 files (2 objects)"], CliRun.Lines(stdout));
        Assert.Empty(stderr);
    }

    [Fact]
    public async Task Analyze_DanglingReference_IsAWarningNamingFileObjectAndField_AndExitsZero()
    {
        _folder.Write("reviews.yaml", Reviews + "\n---\n" + RatingsRoute);

        var (code, stdout, _) = await CliRun.RunAsync("analyze", _folder.Path);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal(
            [
                $"warning: {_folder.Path}/reviews.yaml: VirtualService default/to-ratings: spec.http[0].route[0].destination.host: ratings.default.svc.cluster.local is not a Service of the mesh; calls that spec.http[0] takes on port 9080 fail (UNAVAILABLE for gRPC clients, 503 for Envoy): its cluster has no endpoints until the destination exists",
                "0 errors, 1 warning in 1 file (2 objects)",
            ],
            CliRun.Lines(stdout));
    }

    [Fact]
    public async Task Analyze_RejectedObjects_OneLineEachWithFileObjectFieldAndReason_AndExitsOne()
    {
        _folder.Write("a/reviews.yaml", Reviews + "\n---\n" + BadPort);
        _folder.Write("b/copy.yaml", Reviews);
        _folder.Write("c/no-kind.yaml", "apiVersion: v1\nmetadata:\n  name: x\n");

        var (code, stdout, stderr) = await CliRun.RunAsync("analyze", _folder.Path);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Equal(
            [
                $"error: {_folder.Path}/a/reviews.yaml: Service default/bad: spec.ports[0].port: must be between 1 and 65535, not 70000",
                $"error: {_folder.Path}/b/copy.yaml: Service default/reviews: metadata.name: duplicate: the same Service is already declared in a/reviews.yaml",
                $"error: {_folder.Path}/c/no-kind.yaml: document 1: kind: is required",
                "3 errors, 0 warnings in 3 files (4 objects)",
            ],
            CliRun.Lines(stdout));
        Assert.Empty(stderr);
    }

    [Fact]
    public async Task Analyze_JsonOutput_IsOneDocumentWithTheSameProblems()
    {
        _folder.Write("reviews.yaml", Reviews + "\n---\n" + BadPort + "\n---\n" + RatingsRoute);

        var (code, stdout, _) = await CliRun.RunAsync("analyze", _folder.Path, "-o", "json");

        Assert.Equal(ExitCodes.Failed, code);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.False(root.GetProperty("valid").GetBoolean());
        Assert.Equal(1, root.GetProperty("files").GetInt32());
        Assert.Equal(3, root.GetProperty("objects").GetInt32());
        var error = Assert.Single(root.GetProperty("errors").EnumerateArray());
        Assert.Equal(Path.Join(_folder.Path, "reviews.yaml"), error.GetProperty("file").GetString());
        Assert.Equal("Service", error.GetProperty("kind").GetString());
        Assert.Equal("default", error.GetProperty("namespace").GetString());
        Assert.Equal("bad", error.GetProperty("name").GetString());
        Assert.Equal("spec.ports[0].port", error.GetProperty("field").GetString());
        Assert.Equal("must be between 1 and 65535, not 70000", error.GetProperty("reason").GetString());
        var warning = Assert.Single(root.GetProperty("warnings").EnumerateArray());
        Assert.Equal("to-ratings", warning.GetProperty("name").GetString());
        Assert.Equal("spec.http[0].route[0].destination.host", warning.GetProperty("field").GetString());
        Assert.Equal(1, root.GetProperty("objectsPerKind").GetProperty("VirtualService").GetInt32());
    }

    [Fact]
    public async Task Analyze_BinaryJunkAndADanglingLink_AreErrorsNamingTheFile_WithoutAStackTrace()
    {
        _folder.Write("reviews.yaml", Reviews);
        File.WriteAllBytes(Path.Join(_folder.Path, "junk.yaml"), [0x8D, 0xFF, 0x00, 0xC3, 0x28, 0x1B, 0x5B, 0x33, 0x31, 0x6D, 0xFE]);
        _folder.Link("gone.yaml", "missing.yaml", directory: false);
        _folder.Link("loop", ".", directory: true);

        var (code, stdout, stderr) = await CliRun.RunAsync("analyze", _folder.Path);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Equal(
            [
                $"error: {_folder.Path}/gone.yaml: could not be read: the link's target {_folder.Path}/gone.yaml does not exist",
                $"error: {_folder.Path}/junk.yaml: could not be read: Unable to translate bytes [8D] at index 0 from specified code page to Unicode.",
                $"warning: {_folder.Path}/loop: link not followed: leads to {_folder.Path}, which is already walked (a link loop or a second link to it)",
                "2 errors, 1 warning in 3 files (1 object)",
            ],
            CliRun.Lines(stdout));
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Analyze_MissingDirectory_AFileInstead_NoDirectory_OrAnUnknownFormat_AreUsageErrors()
    {
        var file = _folder.Write("reviews.yaml", Reviews);
        var missing = Path.Join(_folder.Path, "nope");

        var cases = new (string[] Args, string Error)[]
        {
            (["analyze", missing], $"error: the directory {missing} does not exist"),
            (["analyze", file], $"error: {file} is a file; analyze takes a directory"),
            (["analyze"], "error: Required argument 'DIR' missing for command: 'analyze'."),
            (["analyze", _folder.Path, "-o", "xml"], "error: Argument 'xml' not recognized. Must be one of:"),
            (["anlyze", _folder.Path], "error: Unrecognized command or argument 'anlyze'."),
        };
        foreach (var (args, error) in cases)
        {
            var (code, stdout, stderr) = await CliRun.RunAsync(args);

            Assert.Equal(ExitCodes.Usage, code);
            Assert.Empty(stdout);
            Assert.Contains(error, CliRun.Lines(stderr));
        }
    }

    [Fact]
    public async Task Analyze_AFolderItCannotList_IsAnErrorNamingIt_InTheRealExecutable()
    {
        // Root reads any folder; the executable is run without the capabilities that let it
        // (as the unprivileged user a CI job or a developer is), so the mode below counts.
        if (OperatingSystem.IsWindows())
        {
            return; // Folder modes and setpriv are Unix's.
        }

        _folder.Write("reviews.yaml", Reviews);
        var locked = _folder.Folder("locked");
        _folder.Write("locked/hidden.yaml", Reviews);
        File.SetUnixFileMode(locked, UnixFileMode.None);
        try
        {
            var mesh = Path.Join(AppContext.BaseDirectory, "mesh.dll");
            var (file, args) = Environment.IsPrivilegedProcess
                ? ("setpriv", new[] { "--bounding-set", "-dac_override,-dac_read_search", "dotnet", mesh, "analyze", _folder.Path })
                : ("dotnet", new[] { mesh, "analyze", _folder.Path });

            var (code, stdout, stderr) = await ProcessRun.RunAsync(file, args, TimeSpan.FromSeconds(60));

            Assert.True(code == ExitCodes.Failed, $"exit {code}: {stdout} {stderr}");
            Assert.Equal(
                [
                    $"error: {_folder.Path}/locked: could not be read: Access to the path '{locked}' is denied.",
                    "1 error, 0 warnings in 1 file (1 object)",
                ],
                CliRun.Lines(stdout));
        }
        finally
        {
            File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public void Dispose() => _folder.Dispose();
}
