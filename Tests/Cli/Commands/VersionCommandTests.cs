using System.Reflection;
using Mesh.Orleans.Cli;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Cli.Commands;

/// <summary><c>mesh version</c>, in-process and as the built executable.</summary>
public sealed class VersionCommandTests
{
    private static readonly string s_version = typeof(MeshCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

    [Fact]
    public async Task Version_PrintsTheToolsInformationalVersion()
    {
        var (code, stdout, stderr) = await CliRun.RunAsync("version");

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal([$"client version: {s_version}"], CliRun.Lines(stdout));
        Assert.StartsWith("0.1.0", s_version, StringComparison.Ordinal);
        Assert.Empty(stderr);
    }

    [Fact]
    public async Task Version_WithDebug_AddsTheControlPlanesVersion_OnlyWhenItsStatsCarryOne()
    {
        await using var versioned = await FakeDebugServer.StartAsync(r => r.Path == "/debug/stats" ? (200, """{"rssBytes": 1, "version": "1.4.0+abc"}""") : (404, string.Empty));
        await using var unversioned = await FakeDebugServer.StartAsync(_ => (200, """{"rssBytes": 1, "streams": 0, "silo": {"connected": true, "error": null}}"""));

        var (code, stdout, _) = await CliRun.RunAsync("version", "--debug", versioned.Url);
        var (plainCode, plain, _) = await CliRun.RunAsync("version", "--debug", unversioned.Url);

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal([$"client version: {s_version}", "control plane version: 1.4.0+abc"], CliRun.Lines(stdout));
        Assert.Equal(ExitCodes.Ok, plainCode);
        Assert.Equal([$"client version: {s_version}"], CliRun.Lines(plain));
    }

    [Fact]
    public async Task Version_WithAnUnreachableControlPlane_PrintsTheClientsThenOneErrorLine()
    {
        var closed = $"http://127.0.0.1:{TestPorts.Free()}";

        var (code, stdout, stderr) = await CliRun.RunAsync("version", "--debug", closed);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Equal([$"client version: {s_version}"], CliRun.Lines(stdout));
        Assert.StartsWith($"error: cannot reach the control plane at {closed}/debug/stats: ", Assert.Single(CliRun.Lines(stderr)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheBuiltExecutable_RunsAsATool_AndPrintsItsVersion()
    {
        var (code, stdout, stderr) = await ProcessRun.RunAsync("dotnet", [Path.Join(AppContext.BaseDirectory, "mesh.dll"), "version"], TimeSpan.FromSeconds(60));

        Assert.True(code == ExitCodes.Ok, stderr);
        Assert.Equal($"client version: {s_version}", stdout.TrimEnd('\n'));
    }
}
