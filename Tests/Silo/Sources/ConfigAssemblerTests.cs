using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Silo.Sources.Yaml;
using Mesh.Orleans.Tests.Infrastructure;

namespace Mesh.Orleans.Tests.Silo.Sources;

public sealed class ConfigAssemblerTests
{
    private static ParsedFile File(string path, string yaml) => KubernetesObjectParser.Parse(path, yaml);

    [Fact]
    public void Assemble_ObjectTurnedInvalid_KeepsItsLastGoodVersion()
    {
        var assembler = new ConfigAssembler();
        assembler.Assemble([File("a.yaml", MeshYaml.Service("echo", 7000))]);

        var config = assembler.Assemble([File("a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: echo}\nspec: {ports: [{port: 99999}]}")]);

        Assert.Equal(7000, Assert.Single(config.Services).Ports.Single().Port);
        var rejected = Assert.Single(config.Rejected);
        Assert.True(rejected.KeptLastGood);
        Assert.Equal("spec.ports[0].port", rejected.Field);
    }

    [Fact]
    public void Assemble_FileThatNoLongerParses_KeepsEveryObjectItHad()
    {
        var assembler = new ConfigAssembler();
        assembler.Assemble([File("a.yaml", MeshYaml.Documents(MeshYaml.Service("one", 1), MeshYaml.Service("two", 2)))]);

        var config = assembler.Assemble([File("a.yaml", "{{{ not yaml")]);

        Assert.Equal(["one", "two"], config.Services.Select(s => s.Name));
        Assert.True(Assert.Single(config.Rejected).KeptLastGood);
    }

    [Fact]
    public void Assemble_DeletedFileOrObject_IsRemoved()
    {
        var assembler = new ConfigAssembler();
        assembler.Assemble([File("a.yaml", MeshYaml.Documents(MeshYaml.Service("one", 1), MeshYaml.Service("two", 2))), File("b.yaml", MeshYaml.Service("three", 3))]);

        var config = assembler.Assemble([File("a.yaml", MeshYaml.Service("one", 1))]);

        Assert.Equal(["one"], config.Services.Select(s => s.Name));
        Assert.Empty(config.Rejected);
    }

    [Fact]
    public void Assemble_InvalidNewObject_WithoutLastGood_IsRejectedAndAbsent()
    {
        var config = new ConfigAssembler().Assemble([File("a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: echo}\nspec: {ports: []}")]);

        Assert.Empty(config.Services);
        Assert.False(Assert.Single(config.Rejected).KeptLastGood);
    }

    [Fact]
    public void Assemble_DuplicateObjectInAnotherFile_IsRejectedNamingTheFirstFile()
    {
        var config = new ConfigAssembler().Assemble([File("a.yaml", MeshYaml.Service("echo", 1)), File("b.yaml", MeshYaml.Service("echo", 2))]);

        Assert.Equal(1, Assert.Single(config.Services).Ports.Single().Port);
        var rejected = Assert.Single(config.Rejected);
        Assert.Equal("b.yaml", rejected.Source);
        Assert.Contains("a.yaml", rejected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TakeChanges_AfterOneFileChanged_HandsOverOnlyItsObjects()
    {
        var assembler = new ConfigAssembler();
        assembler.Sync([File("a.yaml", MeshYaml.Service("a", 1)), File("b.yaml", MeshYaml.Service("b", 2)), File("c.yaml", MeshYaml.Service("c", 3))]);
        Assert.Equal(3, assembler.TakeChanges(full: true).Services.Count);

        assembler.Set(File("b.yaml", MeshYaml.Service("b", 20)));
        var changes = assembler.TakeChanges(full: false);

        Assert.Equal(20, Assert.Single(changes.Services).Ports.Single().Port);
        Assert.Empty(changes.Deleted);
        Assert.Null(changes.Rejected);
        Assert.Equal(0, assembler.TakeChanges(full: false).Count);
    }

    [Fact]
    public void TakeChanges_ObjectTurnedInvalid_ChangesNoObject_OnlyTheRejections()
    {
        var assembler = new ConfigAssembler();
        assembler.Set(File("a.yaml", MeshYaml.Service("echo", 7000)));
        assembler.TakeChanges(full: true);

        assembler.Set(File("a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: echo}\nspec: {ports: [{port: 99999}]}"));
        var changes = assembler.TakeChanges(full: false);

        Assert.Equal(0, changes.Count);
        Assert.True(Assert.Single(changes.Rejected!).KeptLastGood);
    }

    [Fact]
    public void TakeChanges_FileRemoved_DeletesItsObjects_AndADuplicateTakesOver()
    {
        var assembler = new ConfigAssembler();
        assembler.Sync([File("a.yaml", MeshYaml.Service("echo", 1)), File("b.yaml", MeshYaml.Service("echo", 2)), File("c.yaml", MeshYaml.Service("solo", 3))]);
        assembler.TakeChanges(full: true);
        Assert.Single(assembler.Rejected);

        assembler.Remove("a.yaml");
        assembler.Remove("c.yaml");
        var changes = assembler.TakeChanges(full: false);

        Assert.Equal(2, Assert.Single(changes.Services).Ports.Single().Port);
        Assert.Equal([new MeshObjectKey("Service", "default", "solo")], changes.Deleted);
        Assert.Empty(changes.Rejected!);
    }

    /// <summary>
    /// Random edits, file by file, sent through a <see cref="ChangeFeed"/>: after each, what the
    /// receiver holds equals what the assembler serves, which equals what a new assembler makes
    /// of the same files read at once (all files valid here, so no last good version is involved).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task RandomEdits_SentAsChanges_LeaveTheReceiverHoldingTheWholeDeclaration(int seed)
    {
        var random = new Random(seed);
        var assembler = new ConfigAssembler();
        var sink = new RecordingConfigSink();
        var feed = new ChangeFeed("c", sink);
        var files = new Dictionary<string, ParsedFile>(StringComparer.Ordinal);
        for (var step = 0; step < 150; step++)
        {
            var path = $"f{random.Next(6)}.yaml";
            if (random.Next(4) == 0)
            {
                files.Remove(path);
                assembler.Remove(path);
            }
            else
            {
                var documents = Enumerable.Range(0, random.Next(0, 4)).Select(_ =>
                {
                    var name = "s" + random.Next(5);
                    return random.Next(2) == 0
                        ? MeshYaml.Service(name, 8000 + random.Next(3))
                        : MeshYaml.Slice(name + "-1", name, 8000, [($"127.0.0.{random.Next(1, 9)}", true)]);
                });
                var file = File(path, MeshYaml.Documents([.. documents]));
                files[path] = file;
                assembler.Set(file);
            }

            if (random.Next(10) == 0)
            {
                sink.Forget();
            }

            await feed.SendAsync(assembler.TakeChanges, CancellationToken.None);
            var expected = new ConfigAssembler().Assemble(files.Values);
            var served = assembler.Declaration();
            Assert.Equal(Describe(expected), Describe(served));
            Assert.Equal(Describe(expected), Describe(sink.Last!));
        }

        static string Describe(ClusterConfig config) => string.Join("\n",
            config.Services.Select(s => $"{s.Hostname} {s.Ports.Single().Port}")
                .Concat(config.EndpointSlices.Select(s => $"{s.Name} {s.Endpoints.Single().Addresses.Single()}"))
                .Concat(config.Rejected.Select(r => r.ToString()).Order(StringComparer.Ordinal)));
    }

    [Fact]
    public async Task ChangeFeed_ReceiverThatForgot_GetsEverything_AndAFailedSendIsFollowedByEverything()
    {
        var assembler = new ConfigAssembler();
        var sink = new RecordingConfigSink();
        var feed = new ChangeFeed("c", sink);
        assembler.Sync([File("a.yaml", MeshYaml.Service("a", 1)), File("b.yaml", MeshYaml.Service("b", 2))]);
        Assert.True((await feed.SendAsync(assembler.TakeChanges, CancellationToken.None))!.Full);

        assembler.Set(File("a.yaml", MeshYaml.Service("a", 10)));
        sink.Forget();
        await feed.SendAsync(assembler.TakeChanges, CancellationToken.None);
        // The change was refused (the receiver holds nothing it can apply it to); everything followed.
        Assert.Equal([true, true], sink.Messages.Select(m => m.Full));
        Assert.Equal([10, 2], sink.Last!.Services.Select(s => s.Ports.Single().Port));

        sink.FailWith(() => new InvalidOperationException("down"));
        assembler.Set(File("b.yaml", MeshYaml.Service("b", 20)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => feed.SendAsync(assembler.TakeChanges, CancellationToken.None));
        sink.FailWith(() => null);
        var resent = await feed.SendAsync(assembler.TakeChanges, CancellationToken.None);

        Assert.True(resent!.Full);
        Assert.Equal([10, 20], sink.Last!.Services.Select(s => s.Ports.Single().Port));
    }

    [Fact]
    public void TakeChanges_PodWhoseStatusAloneChanged_IsNotSent_AndOneWhoseLabelsOrIpChangedIs()
    {
        var assembler = new ConfigAssembler();
        assembler.Set(File("pods.yaml", MeshYaml.Pod("echo-a", "shop", "v1", "127.0.0.1")));
        var first = assembler.TakeChanges(full: false);
        Assert.Equal([("shop", "echo-a", "v1", "127.0.0.1")], first.Pods.Select(p => (p.Namespace, p.Name, p.Labels["version"], p.Ip)));

        assembler.Set(File("pods.yaml", MeshYaml.Pod("echo-a", "shop", "v1", "127.0.0.1").Replace("phase: Running", "phase: Failed", StringComparison.Ordinal)));
        Assert.Equal(0, assembler.TakeChanges(full: false).Count);

        // A ServiceEntry's workloadSelector makes a pod's IP an endpoint.
        assembler.Set(File("pods.yaml", MeshYaml.Pod("echo-a", "shop", "v1", "127.0.0.9")));
        Assert.Equal("127.0.0.9", Assert.Single(assembler.TakeChanges(full: false).Pods).Ip);

        assembler.Set(File("pods.yaml", MeshYaml.Pod("echo-a", "shop", "v2", "127.0.0.9")));
        Assert.Equal("v2", Assert.Single(assembler.TakeChanges(full: false).Pods).Labels["version"]);

        assembler.Remove("pods.yaml");
        Assert.Equal([new MeshObjectKey("Pod", "shop", "echo-a")], assembler.TakeChanges(full: false).Deleted);
    }

    [Fact]
    public void TakeChanges_ServiceEntry_IsSentAsAnObjectOfTheMesh_AndItsDeletionByKey()
    {
        var assembler = new ConfigAssembler();
        assembler.Set(File("se.yaml", "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext, namespace: shop}\nspec: {hosts: [api.example.com], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}\n"));

        var entry = Assert.Single(assembler.TakeChanges(full: false).ServiceEntries!);

        Assert.Equal(["api.example.com"], entry.Hosts);
        Assert.Empty(assembler.Report.Ignored);
        Assert.Same(entry, Assert.Single(assembler.Declaration().ServiceEntries!));
        assembler.Remove("se.yaml");
        Assert.Equal([new MeshObjectKey("ServiceEntry", "shop", "ext")], assembler.TakeChanges(full: false).Deleted);
    }

    [Fact]
    public void TakeChanges_DestinationRule_IsSentAsAnObjectOfTheMesh()
    {
        var assembler = new ConfigAssembler();
        assembler.Set(File("dr.yaml", MeshYaml.SubsetRule("echo", "echo", "shop", "v1")));

        var rule = Assert.Single(assembler.TakeChanges(full: false).DestinationRules);

        Assert.Equal("echo.shop.svc.cluster.local", rule.Host);
        Assert.Empty(assembler.Report.Ignored);
        Assert.Same(rule, Assert.Single(assembler.Declaration().DestinationRules!));
    }
}
