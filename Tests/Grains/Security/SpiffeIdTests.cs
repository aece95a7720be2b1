using Mesh.Orleans.Grains.Interfaces.Security;
using Mesh.Orleans.Grains.Security;

namespace Mesh.Orleans.Tests.Grains.Security;

/// <summary>SPIFFE identities as Istio writes them, and hostile strings that must not parse into one.</summary>
public sealed class SpiffeIdTests
{
    [Theory]
    [InlineData("spiffe://cluster.local/ns/shop/sa/cart", "cluster.local", "shop", "cart")]
    [InlineData("spiffe://prod.example_td-1/ns/default/sa/istio-ingressgateway.v2", "prod.example_td-1", "default", "istio-ingressgateway.v2")]
    public void AnIstioIdentity_ParsesAndPrintsBack(string value, string trustDomain, string ns, string serviceAccount)
    {
        Assert.True(SpiffeId.TryParse(value, out var id, out var problem), problem);
        Assert.Equal(new SpiffeId(trustDomain, ns, serviceAccount), id);
        Assert.Equal(value, id.ToString());
    }

    [Theory]
    [InlineData(null, "empty")]
    [InlineData("", "empty")]
    [InlineData("https://cluster.local/ns/shop/sa/cart", "not a spiffe:// URI")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/cart/extra", "not of the form")]
    [InlineData("spiffe://cluster.local/sa/cart/ns/shop", "not of the form")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/", "service account ''")]
    [InlineData("spiffe://Cluster.Local/ns/shop/sa/cart", "trust domain 'Cluster.Local'")]
    [InlineData("spiffe://cluster.local/ns/../sa/cart", "namespace '..'")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/cart?admin=1", "service account 'cart?admin=1'")]
    [InlineData("spiffe://cluster.local/ns/Shop/sa/cart", "namespace 'Shop'")]
    [InlineData("spiffe://cluster.local/ns/shop/sa/-cart", "service account '-cart'")]
    [InlineData("spiffe://user@cluster.local/ns/shop/sa/cart", "trust domain 'user@cluster.local'")]
    public void AStringThatIsNotAnIstioIdentity_IsRefusedWithTheReason(string? value, string reason)
    {
        Assert.False(SpiffeId.TryParse(value, out var id, out var problem));
        Assert.Null(id);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AVeryLongString_IsRefusedBeforeItIsSplit()
    {
        Assert.False(SpiffeId.TryParse("spiffe://" + new string('a', 5000), out _, out var problem));
        Assert.Equal("longer than 2048 characters", problem);
    }
}
