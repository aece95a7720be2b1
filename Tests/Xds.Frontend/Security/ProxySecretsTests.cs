using System.Security.Cryptography.X509Certificates;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Security;
using Mesh.Orleans.Grains.Security;
using Mesh.Orleans.Tests.Infrastructure;
using Mesh.Orleans.Xds.Frontend.Security;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Orleans.Tests.Xds.Frontend.Security;

/// <summary>
/// One stream's SDS secrets on fake time against a real CA: the first certificate before the
/// answer, renewal at half its lifetime (pushed as a change), retries while the CA refuses.
/// </summary>
public sealed class ProxySecretsTests : IDisposable
{
    private static readonly XdsCaller s_caller = new(new SpiffeId("cluster.local", "shop", "web"), "token");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));
    private readonly FakeCa _ca;
    private readonly MeshTls _tls;

    public ProxySecretsTests()
    {
        _ca = new FakeCa(MeshCertificateAuthority.CreateSelfSigned("cluster.local", _time));
        _tls = new MeshTls(_ca, Options.Create(new MeshSecurityOptions()), _time, NullLogger<MeshTls>.Instance);
        _tls.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    [Fact]
    public async Task TheFirstCertificate_IsThereWhenReady_ThenRenewedAtHalfItsLifetime_AsAChange()
    {
        var changes = 0;
        using var secrets = new ProxySecrets(s_caller, _ca, _tls, TimeSpan.FromHours(1), _time, () => Interlocked.Increment(ref changes), NullLogger.Instance);
        Assert.Equal([ProxySecrets.RootCa], secrets.Current.Keys);

        await secrets.ReadyAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        var first = secrets.Current[ProxySecrets.Default];
        Assert.Equal(1, _ca.Signed);
        Assert.True(secrets.TakeChanged());
        Assert.False(secrets.TakeChanged());
        using (var certificate = Certificate(first))
        {
            Assert.Equal(TimeSpan.FromHours(1), certificate.NotAfter - _time.GetUtcNow().UtcDateTime);
        }

        // Not before half the lifetime (from notBefore, a minute back for clock skew)...
        _time.Advance(TimeSpan.FromMinutes(28));
        await Task.Delay(50);
        Assert.Equal(1, _ca.Signed);

        // ...and by then plus a tenth of it.
        _time.Advance(TimeSpan.FromMinutes(8));
        await Eventually.TrueAsync(() => Task.FromResult(_ca.Signed == 2), TimeSpan.FromSeconds(10), "renewed");
        await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref changes) == 2), TimeSpan.FromSeconds(10), "the stream is told");
        Assert.True(secrets.TakeChanged());
        var second = secrets.Current[ProxySecrets.Default];
        Assert.NotEqual(first.Version, second.Version);
        Assert.NotEqual(Key(first), Key(second));
    }

    [Fact]
    public async Task ACaThatRefuses_IsAskedAgainAfterASecond_AndTheCertificateArrivesAsAChange()
    {
        var changes = 0;
        _ca.RefuseNext = 1;
        using var secrets = new ProxySecrets(s_caller, _ca, _tls, TimeSpan.FromHours(1), _time, () => Interlocked.Increment(ref changes), NullLogger.Instance);

        // Not ready within the bound: the stream answers without it.
        var ready = secrets.ReadyAsync(TimeSpan.FromMilliseconds(500), CancellationToken.None);
        await Eventually.TrueAsync(() => Task.FromResult(_ca.Asked == 1), TimeSpan.FromSeconds(10), "asked once");
        _time.Advance(TimeSpan.FromMilliseconds(600));
        await ready;
        Assert.False(secrets.Current.ContainsKey(ProxySecrets.Default));
        Assert.Equal(1, _ca.Asked);

        // The retry comes a second after the refusal.
        await Eventually.TrueAsync(
            () =>
            {
                _time.Advance(TimeSpan.FromMilliseconds(100));
                return Task.FromResult(secrets.Current.ContainsKey(ProxySecrets.Default));
            },
            TimeSpan.FromSeconds(10),
            "issued on the retry");
        Assert.Equal(2, _ca.Asked);
        Assert.Equal(1, Volatile.Read(ref changes));
    }

    public void Dispose()
    {
        _tls.Dispose();
        _ca.Authority.Dispose();
    }

    private static X509Certificate2 Certificate(Mesh.Orleans.Xds.Frontend.CachedResource resource)
    {
        var secret = resource.Any.Unpack<Secret>();
        return X509Certificate2.CreateFromPem(secret.TlsCertificate.CertificateChain.InlineBytes.ToStringUtf8());
    }

    private static string Key(Mesh.Orleans.Xds.Frontend.CachedResource resource) =>
        resource.Any.Unpack<Secret>().TlsCertificate.PrivateKey.InlineBytes.ToStringUtf8();

    /// <summary>The CA grain's work without a silo: a real <see cref="MeshCertificateAuthority"/>, counting, refusing on demand.</summary>
    private sealed class FakeCa(MeshCertificateAuthority authority) : IMeshCertificateClient
    {
        public Task<SecretLookup> GetSecretAsync(string clusterId, string ns, string name, CancellationToken cancellationToken) =>
            Task.FromResult(new SecretLookup(true, null));

        private int _asked;
        private int _signed;

        public MeshCertificateAuthority Authority => authority;

        public int RefuseNext { get; set; }

        public int Asked => Volatile.Read(ref _asked);

        public int Signed => Volatile.Read(ref _signed);

        public Task<SignedCertificate> SignAsync(string csrPem, string identity, TimeSpan? lifetime, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _asked);
            if (RefuseNext > 0)
            {
                RefuseNext--;
                return Task.FromResult(new SignedCertificate([], "refused by the test"));
            }

            SpiffeId.TryParse(identity, out var id, out _);
            using var certificate = authority.Sign(csrPem, id!, lifetime ?? TimeSpan.FromHours(24));
            Interlocked.Increment(ref _signed);
            return Task.FromResult(new SignedCertificate(authority.ChainPem(certificate), null));
        }

        public Task<SignedCertificate> SignServerAsync(string csrPem, IReadOnlyList<string> dnsNames, IReadOnlyList<string> addresses, TimeSpan lifetime, CancellationToken cancellationToken)
        {
            using var certificate = authority.SignServer(csrPem, dnsNames, [.. addresses.Select(System.Net.IPAddress.Parse)], lifetime);
            return Task.FromResult(new SignedCertificate(authority.ChainPem(certificate), null));
        }
    }
}
