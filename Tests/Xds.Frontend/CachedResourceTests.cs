using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Xds;
using Mesh.Orleans.Xds.Frontend;

namespace Mesh.Orleans.Tests.Xds.Frontend;

public sealed class CachedResourceTests
{
    private static CachedResource Cached(string name, string version) =>
        new(TypeUrls.Cluster, name, version, new Any { TypeUrl = TypeUrls.Cluster, Value = ByteString.CopyFrom(1, 2, 3) });

    [Fact]
    public void DeltaResource_IsBuiltOnce_FromTheRecordsValues_AndSharesItsAny()
    {
        var resource = Cached("a", "v1");

        var wrapper = resource.DeltaResource;

        Assert.Same(wrapper, resource.DeltaResource);
        Assert.Equal("a", wrapper.Name);
        Assert.Equal("v1", wrapper.Version);
        Assert.Same(resource.Any, wrapper.Resource_);
    }

    [Fact]
    public async Task DeltaResource_AskedConcurrently_IsStillOneInstance()
    {
        var resource = Cached("a", "v1");

        var wrappers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => resource.DeltaResource)));

        Assert.All(wrappers, w => Assert.Same(wrappers[0], w));
    }

    [Fact]
    public void Equality_DoesNotDependOnWhetherTheWrapperWasBuilt()
    {
        var any = new Any { TypeUrl = TypeUrls.Cluster, Value = ByteString.CopyFrom(1, 2, 3) };
        var built = new CachedResource(TypeUrls.Cluster, "a", "v1", any);
        _ = built.DeltaResource;
        var notBuilt = new CachedResource(TypeUrls.Cluster, "a", "v1", any);

        Assert.Equal(built, notBuilt);
        Assert.Equal(built.GetHashCode(), notBuilt.GetHashCode());
        Assert.NotEqual(built, notBuilt with { Version = "v2" });
    }

    [Fact]
    public void With_ACopyWithAnotherVersion_HasItsOwnWrapper()
    {
        var resource = Cached("a", "v1");
        _ = resource.DeltaResource;

        var copy = resource with { Version = "v2" };

        Assert.Equal("v2", copy.DeltaResource.Version);
        Assert.Equal("v1", resource.DeltaResource.Version);
    }
}
