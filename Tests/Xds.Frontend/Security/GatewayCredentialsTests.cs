using System.Collections.Concurrent;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Security;
using Mesh.Orleans.Xds.Frontend;
using Mesh.Orleans.Xds.Frontend.Security;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Mesh.Orleans.Tests.Xds.Frontend.Security;

/// <summary>
/// <see cref="GatewayCredentials"/> against a fake member cluster: one lookup per credential
/// however many streams hold it, a change pushed to every holder, Istio's <c>-cacert</c> fallback,
/// a cluster not loaded yet or failing keeping what is held, and resource names read as Istio reads them.
/// </summary>
public sealed class GatewayCredentialsTests(Infrastructure.EnvoyValidation validation) : IClassFixture<Infrastructure.EnvoyValidation>
{
    private static readonly MeshSecret s_first = new("istio-system", "web", "CHAIN-1\n", "KEY-1\n", "CA-1\n", null);

    [Theory]
    [InlineData("kubernetes://web", "istio-system", "web", false)]
    [InlineData("kubernetes://shop/web-cacert", "shop", "web-cacert", true)]
    [InlineData("kubernetes://a.b-c", "istio-system", "a.b-c", false)]
    public void Parse_ReadsNamesAsIstioDoes(string resource, string ns, string name, bool caOnly)
    {
        var (parsed, problem) = GatewayCredentials.Parse(resource, "istio-system");

        Assert.Null(problem);
        Assert.Equal(new GatewayCredentials.CredentialName(resource, ns, name, caOnly), parsed);
    }

    [Theory]
    [InlineData("default")]
    [InlineData("kubernetes://")]
    [InlineData("kubernetes://UPPER")]
    [InlineData("kubernetes://a/b/c")]
    [InlineData("kubernetes:///name")]
    [InlineData("kubernetes://ns/")]
    [InlineData("kubernetes://-bad")]
    [InlineData("file-cert:/etc/cert~/etc/key")]
    public void Parse_RefusesWhatIsNotASecretName(string resource)
    {
        var (parsed, problem) = GatewayCredentials.Parse(resource, "istio-system");

        Assert.Null(parsed);
        Assert.NotNull(problem);
    }

    [Fact]
    public void Parse_BoundsAHugeName()
    {
        var (parsed, problem) = GatewayCredentials.Parse("kubernetes://" + new string('a', 100_000), "istio-system");

        Assert.Null(parsed);
        Assert.DoesNotContain(new string('a', 300), problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoHolders_OneLookupPerRefresh_AChangeReachesBoth_AndTheLastHolderLettingGoEndsIt()
    {
        var clusters = new FakeClusters();
        clusters.Set(s_first);
        var credentials = Credentials(clusters);
        var name = GatewayCredentials.Parse("kubernetes://web", "istio-system").Name!;
        var seenA = new ConcurrentQueue<CachedResource?>();
        var seenB = new ConcurrentQueue<CachedResource?>();

        using var a = credentials.Subscribe("east", name, seenA.Enqueue);
        using var b = credentials.Subscribe("east", name, seenB.Enqueue);
        var first = await a.FirstAnswer;
        Assert.Equal("CHAIN-1\n", Unpack(first).TlsCertificate.CertificateChain.InlineBytes.ToStringUtf8());
        Assert.Equal(first!.Version, (await b.FirstAnswer)!.Version);
        Assert.Equal(1, clusters.Lookups);

        // Nothing changed: nobody is told.
        seenA.Clear();
        await credentials.RefreshAllAsync(CancellationToken.None);
        Assert.Equal(2, clusters.Lookups);
        Assert.Empty(seenA);

        clusters.Set(s_first with { CertificateChain = "CHAIN-2\n", PrivateKey = "KEY-2\n" });
        await credentials.RefreshAllAsync(CancellationToken.None);
        Assert.Equal("CHAIN-2\n", Unpack(Assert.Single(seenA)).TlsCertificate.CertificateChain.InlineBytes.ToStringUtf8());
        Assert.Equal("KEY-2\n", Unpack(seenB.Last()).TlsCertificate.PrivateKey.InlineBytes.ToStringUtf8());

        // Deleted: both are told it is gone.
        clusters.Remove("istio-system", "web");
        await credentials.RefreshAllAsync(CancellationToken.None);
        Assert.Null(seenA.Last());

        a.Dispose();
        Assert.Equal(1, credentials.Count);
        b.Dispose();
        Assert.Equal(0, credentials.Count);
        await credentials.RefreshAllAsync(CancellationToken.None);
        Assert.Equal(4, clusters.Lookups);
    }

    [Fact]
    public async Task TheCaPart_ComesFromNameCacert_ElseFromNamesOwnCaCrt_AndAKeyPairNeverAnswersIt()
    {
        var clusters = new FakeClusters();
        clusters.Set(s_first);
        var credentials = Credentials(clusters);
        var ca = GatewayCredentials.Parse("kubernetes://web-cacert", "istio-system").Name!;

        using var fallback = credentials.Subscribe("east", ca, _ => { });
        var answer = Unpack(await fallback.FirstAnswer);
        Assert.Equal("CA-1\n", answer.ValidationContext.TrustedCa.InlineBytes.ToStringUtf8());
        Assert.Equal(Secret.TypeOneofCase.ValidationContext, answer.TypeCase);

        var seen = new ConcurrentQueue<CachedResource?>();
        using var own = credentials.Subscribe("east", GatewayCredentials.Parse("kubernetes://roots-cacert", "istio-system").Name!, seen.Enqueue);
        Assert.Null(await own.FirstAnswer);
        clusters.Set(new MeshSecret("istio-system", "roots-cacert", null, null, "CA-2\n", "CRL-2\n"));
        await credentials.RefreshAllAsync(CancellationToken.None);
        var roots = Unpack(seen.Last());
        Assert.Equal(("CA-2\n", "CRL-2\n"), (roots.ValidationContext.TrustedCa.InlineBytes.ToStringUtf8(), roots.ValidationContext.Crl.InlineBytes.ToStringUtf8()));

        // A CA-only Secret has no certificate and key to give.
        using var keyless = credentials.Subscribe("east", GatewayCredentials.Parse("kubernetes://roots-cacert", "istio-system").Name! with { CaOnly = false, ResourceName = "kubernetes://x" }, _ => { });
        Assert.Null(await keyless.FirstAnswer);
    }

    [Fact]
    public async Task TheSecretsServed_PassEnvoysValidateRules()
    {
        foreach (var resource in new[]
        {
            GatewayCredentials.ToResource("kubernetes://web", caOnly: false, s_first),
            GatewayCredentials.ToResource("kubernetes://web-cacert", caOnly: true, s_first with { Crl = "CRL\n" }),
        })
        {
            Assert.Empty(await validation.ValidateAsync(Unpack(resource)));
        }
    }

    [Fact]
    public async Task AClusterNotLoadedYet_OrFailing_KeepsWhatIsHeld()
    {
        var clusters = new FakeClusters();
        clusters.Set(s_first);
        var credentials = Credentials(clusters);
        var seen = new ConcurrentQueue<CachedResource?>();
        using var held = credentials.Subscribe("east", GatewayCredentials.Parse("kubernetes://web", "istio-system").Name!, seen.Enqueue);
        Assert.NotNull(await held.FirstAnswer);
        seen.Clear();

        clusters.Loaded = false;
        await credentials.RefreshAllAsync(CancellationToken.None);
        clusters.Loaded = true;
        clusters.Failing = true;
        await credentials.RefreshAllAsync(CancellationToken.None);

        Assert.Empty(seen);
    }

    private static GatewayCredentials Credentials(FakeClusters clusters) =>
        new(clusters, Options.Create(new MeshSecurityOptions()), TimeProvider.System, NullLogger<GatewayCredentials>.Instance);

    private static Secret Unpack(CachedResource? resource) => Assert.IsType<CachedResource>(resource).Any.Unpack<Secret>();

    private sealed class FakeClusters : IMeshCertificateClient
    {
        private readonly ConcurrentDictionary<(string, string), MeshSecret> _secrets = new();
        private int _lookups;

        public int Lookups => Volatile.Read(ref _lookups);

        public bool Loaded { get; set; } = true;

        public bool Failing { get; set; }

        public void Set(MeshSecret secret) => _secrets[(secret.Namespace, secret.Name)] = secret;

        public void Remove(string ns, string name) => _secrets.TryRemove((ns, name), out _);

        public Task<SecretLookup> GetSecretAsync(string clusterId, string ns, string name, CancellationToken cancellationToken)
        {
            Assert.Equal("east", clusterId);
            Interlocked.Increment(ref _lookups);
            if (Failing)
            {
                throw new TimeoutException("the grain did not answer");
            }

            return Task.FromResult(new SecretLookup(Loaded, Loaded ? _secrets.GetValueOrDefault((ns, name)) : null));
        }

        public Task<SignedCertificate> SignAsync(string csrPem, string identity, TimeSpan? lifetime, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<SignedCertificate> SignServerAsync(string csrPem, IReadOnlyList<string> dnsNames, IReadOnlyList<string> addresses, TimeSpan lifetime, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}
