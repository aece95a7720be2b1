using System.Diagnostics;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Tests.Silo.Sources;

/// <summary>
/// The YAML directory source against a real directory and a recording sink: what the mesh is
/// handed when files break, the directory vanishes or is swapped, links loop, or applying fails.
/// </summary>
public sealed class YamlDirectorySourceTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(15);
    private readonly TempDirectory _parent = new();
    private readonly RecordingConfigSink _sink = new();
    private readonly RecordingLogger<YamlDirectorySource> _log = new();

    private string Directory => Path.Combine(_parent.Path, "mesh");

    [Fact]
    public async Task DirectoryDeleted_KeepsServingTheLastDeclaration_AndPicksItUpWhenItReturns()
    {
        // Issue 6, finding 2: "rm -rf" of the watched directory was applied as "nothing declared".
        _parent.Write("mesh/a.yaml", MeshYaml.Service("a", 7000));
        await using var source = await StartAsync();
        Assert.Equal(["a"], Services(_sink.Last));

        System.IO.Directory.Delete(Directory, recursive: true);
        await Eventually.TrueAsync(() => source.Status.State == SourceState.Unavailable, s_wait, "the source never showed the directory as unavailable");
        var appliedWhileGone = _sink.Applied.Count;

        _parent.Write("mesh/a.yaml", MeshYaml.Service("a", 7000));
        _parent.Write("mesh/b.yaml", MeshYaml.Service("b", 7001));
        var back = Stopwatch.StartNew();
        await Eventually.TrueAsync(() => Services(_sink.Last).SequenceEqual(["a", "b"]), s_wait, "the returned directory was not read");
        back.Stop();

        Assert.All(_sink.Applied, c => Assert.NotEmpty(c.Services));
        Assert.Equal(SourceState.Watching, source.Status.State);
        Assert.True(_sink.Applied.Count > appliedWhileGone);

        // The new folder is watched: a later edit arrives without waiting for a resync.
        _parent.Write("mesh/c.yaml", MeshYaml.Service("c", 7002));
        await Eventually.TrueAsync(() => Services(_sink.Last).Contains("c"), s_wait, "an edit in the returned directory was not seen");
        Console.WriteLine($"directory picked up {back.ElapsedMilliseconds} ms after it returned");
    }

    [Fact]
    public async Task DirectoryReplacedByAnother_WatchesTheNewOne()
    {
        _parent.Write("mesh/a.yaml", MeshYaml.Service("a", 7000));
        await using var source = await StartAsync();

        // Swapped in one step: the old folder is renamed away and a new one renamed in.
        _parent.Write("next/b.yaml", MeshYaml.Service("b", 7001));
        System.IO.Directory.Move(Directory, Path.Combine(_parent.Path, "old"));
        System.IO.Directory.Move(Path.Combine(_parent.Path, "next"), Directory);
        await Eventually.TrueAsync(() => Services(_sink.Last).SequenceEqual(["b"]), s_wait, "the new folder was not read");

        _parent.Write("mesh/c.yaml", MeshYaml.Service("c", 7002));
        await Eventually.TrueAsync(() => Services(_sink.Last).SequenceEqual(["b", "c"]), s_wait, "the new folder is not watched");
    }

    [Fact]
    public async Task ConfigMapVolume_DataLinkSwappedToANewFolder_AppliesTheNewContent()
    {
        // Kubernetes' atomic writer: files link through "..data" to a timestamped folder; an
        // update writes a new folder, points "..data_tmp" at it, renames that over "..data" and
        // deletes the old folder.
        _parent.Write("mesh/..2026_11_26_10_00_00.1/svc.yaml", MeshYaml.Service("a", 7000));
        _parent.Link("mesh/..data", "..2026_11_26_10_00_00.1", directory: true);
        _parent.Link("mesh/svc.yaml", "..data/svc.yaml", directory: false);
        await using var source = await StartAsync();
        Assert.Equal([7000], _sink.Last!.Services.Single().Ports.Select(p => p.Port));

        // Same size and name, new content.
        _parent.Write("mesh/..2026_11_26_10_05_00.2/svc.yaml", MeshYaml.Service("a", 7001));
        _parent.Link("mesh/..data_tmp", "..2026_11_26_10_05_00.2", directory: true);
        // rename(2) of the link over the old one, as kubelet does it (File.Move refuses a link to a folder).
        using (var rename = Process.Start("mv", ["-T", Path.Combine(Directory, "..data_tmp"), Path.Combine(Directory, "..data")]))
        {
            await rename.WaitForExitAsync(new CancellationTokenSource(s_wait).Token);
            Assert.Equal(0, rename.ExitCode);
        }

        System.IO.Directory.Delete(Path.Combine(Directory, "..2026_11_26_10_00_00.1"), recursive: true);

        await Eventually.TrueAsync(() => _sink.Last!.Services.Single().Ports.Single().Port == 7001, s_wait, "the swapped ConfigMap content was not applied");
        Assert.Equal(SourceState.Watching, source.Status.State);
    }

    [Fact]
    public async Task FileThatStopsTheScanner_IsRejected_AndTheSourceKeepsApplyingChanges()
    {
        // Issue 6, finding 1, as it happened: a new two-line file in a watched directory.
        _parent.Write("mesh/a.yaml", MeshYaml.Service("a", 7000));
        await using var source = await StartAsync();

        _parent.Write("mesh/broken.yaml", "a: [b\n- c: : d\n");
        await Eventually.TrueAsync(() => _sink.Last!.Rejected.Any(r => r.Source == "broken.yaml"), s_wait, "the broken file was not rejected");
        _parent.Write("mesh/b.yaml", MeshYaml.Service("b", 7001));

        await Eventually.TrueAsync(() => Services(_sink.Last).SequenceEqual(["a", "b"]), s_wait, "a later change was not applied");
        Assert.StartsWith("not valid YAML", _sink.Last!.Rejected.Single().Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinkLoopsInTheDirectory_AreSkipped_AndChangesKeepComing()
    {
        _parent.Write("mesh/a.yaml", MeshYaml.Service("a", 7000));
        await using var source = await StartAsync();

        _parent.Link("mesh/loopdir", ".", directory: true);
        _parent.Link("mesh/sub/up", "..", directory: true);
        _parent.Write("mesh/sub/b.yaml", MeshYaml.Service("b", 7001));

        await Eventually.TrueAsync(() => Services(_sink.Last).SequenceEqual(["a", "b"]), s_wait, "the change beside the loops was not applied");
        await Eventually.TrueAsync(() => source.Status.Listing!.SkippedLinks.Count == 2, s_wait, "the loops were not reported");
    }

    [Fact]
    public async Task FifoAndDeviceLinksNamedYaml_DoNotBlockTheSource()
    {
        _parent.Write("mesh/a.yaml", MeshYaml.Service("a", 7000));
        using (var mkfifo = Process.Start("mkfifo", Path.Combine(Directory, "pipe.yaml")))
        {
            await mkfifo.WaitForExitAsync(new CancellationTokenSource(s_wait).Token);
        }

        _parent.Link("mesh/zero.yaml", "/dev/zero", directory: false);
        await using var source = await StartAsync();

        _parent.Write("mesh/b.yaml", MeshYaml.Service("b", 7001));
        await Eventually.TrueAsync(() => Services(_sink.Last).SequenceEqual(["a", "b"]), s_wait, "the source is blocked");
    }

    [Fact]
    public async Task ApplyFails_ShowsDegraded_RetriesWithBackOff_AndRecovers()
    {
        _parent.Write("mesh/a.yaml", MeshYaml.Service("a", 7000));
        await using var source = await StartAsync();
        var failures = 0;
        _sink.FailWith(() => Interlocked.Increment(ref failures) <= 3 ? new InvalidOperationException("silo unreachable") : null);

        _parent.Write("mesh/b.yaml", MeshYaml.Service("b", 7001));
        await Eventually.TrueAsync(() => source.Status.State == SourceState.Degraded, s_wait, "the failure was not shown");
        Assert.Contains("silo unreachable", source.Status.Error, StringComparison.Ordinal);

        await Eventually.TrueAsync(() => Services(_sink.Last).SequenceEqual(["a", "b"]), s_wait, "the source did not retry");
        Assert.Equal(SourceState.Watching, source.Status.State);
        Assert.True(failures >= 4);
    }

    [Fact]
    public async Task UnexpectedFailureOfTheLoop_IsContained_AndTheSourceRetries()
    {
        _parent.Write("mesh/a.yaml", MeshYaml.Service("a", 7000));
        await using var source = await StartAsync();

        // Not the source's own cancellation: escapes the apply retry and reaches the loop.
        var failures = 0;
        _sink.FailWith(() => Interlocked.Increment(ref failures) <= 2 ? new TaskCanceledException("a timeout somewhere") : null);
        _parent.Write("mesh/b.yaml", MeshYaml.Service("b", 7001));

        await Eventually.TrueAsync(() => Services(_sink.Last).SequenceEqual(["a", "b"]), s_wait, "the source stopped");
        Assert.False(source.ExecuteTask!.IsCompleted);
    }

    [Fact]
    public async Task OneRewrittenFile_HandsOverOnlyTheObjectsThatChanged()
    {
        // A directory with one file per object: an edit is handed over as what it changed.
        for (var i = 0; i < 100; i++)
        {
            _parent.Write($"mesh/svc-{i}.yaml", MeshYaml.Service($"svc-{i}", 8080));
            _parent.Write($"mesh/svc-{i}-slice.yaml", MeshYaml.Slice($"svc-{i}-1", $"svc-{i}", 8080, [("127.0.1.1", true)]));
        }

        await using var source = await StartAsync();
        Assert.True(Assert.Single(_sink.Messages).Full);

        // The loaded directory is walked once more when watching begins (what changed in between); then events name files.
        await Eventually.TrueAsync(() => _log.Events.Count(e => e.EventId == 501) >= 2, s_wait, "the second walk did not happen");
        var passes = _log.Events.Count(e => e.EventId == 501);

        _parent.Write("mesh/svc-7-slice.yaml", MeshYaml.Slice("svc-7-1", "svc-7", 8080, [("127.0.2.7", true)]));
        System.IO.File.Delete(Path.Combine(Directory, "svc-9.yaml"));
        await Eventually.TrueAsync(() => _sink.Last!.Services.Count == 99 && _sink.Last.EndpointSlices.Any(s => s.Endpoints[0].Addresses[0] == "127.0.2.7"), s_wait, "the edits were not handed over");

        var changes = _sink.Messages.Skip(1).ToList();
        Assert.All(changes, c => Assert.False(c.Full));
        Assert.Equal(["svc-7-1"], changes.SelectMany(c => c.EndpointSlices).Select(s => s.Name).Distinct());
        Assert.Empty(changes.SelectMany(c => c.Services));
        Assert.Equal([new MeshObjectKey("Service", "default", "svc-9")], changes.SelectMany(c => c.Deleted));

        // Read from the file events, not by walking the directory's 200 files again.
        var later = _log.Events.Where(e => e.EventId == 501).Skip(passes).Select(e => e.Message).ToList();
        Assert.NotEmpty(later);
        Assert.All(later, m => Assert.Matches(@": [0-2] files read after", m));
    }

    public void Dispose() => _parent.Dispose();

    private async Task<SourceHandle> StartAsync()
    {
        var options = Options.Create(new YamlSourceOptions
        {
            Directory = Directory,
            DebounceQuiet = TimeSpan.FromMilliseconds(20),
            DebounceMax = TimeSpan.FromMilliseconds(500),
            UnavailablePollInterval = TimeSpan.FromMilliseconds(100),
            MaxRetryDelay = TimeSpan.FromMilliseconds(200),
        });
        var source = new YamlDirectorySource(_sink, options, TimeProvider.System, _log);
        await source.StartAsync(CancellationToken.None);
        return new SourceHandle(source);
    }

    private static IEnumerable<string> Services(ClusterConfig? config) =>
        config is null ? [] : config.Services.Select(s => s.Name).Order(StringComparer.Ordinal);

    private sealed class SourceHandle(YamlDirectorySource source) : IAsyncDisposable
    {
        public SourceStatus Status => source.Status;

        public Task? ExecuteTask => source.ExecuteTask;

        public async ValueTask DisposeAsync()
        {
            await source.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
            source.Dispose();
        }
    }
}
