using Mesh.Orleans.Silo;
using StackExchange.Redis;

namespace Mesh.Orleans.Tests.Silo;

/// <summary>
/// The <c>--redis</c> value: an address or a connection string, never fatal when Redis is down,
/// reconnecting every second; grain storage failing fast so grains fall back to writing later.
/// </summary>
public sealed class RedisConfigurationTests
{
    [Theory]
    [InlineData("127.0.0.1:6379", "127.0.0.1:6379")]
    [InlineData("redis.mesh.svc:6380,password=secret,ssl=false", "redis.mesh.svc:6380")]
    public void AnAddressOrAConnectionString_NamesItsServer_AndNeverAbortsOnAFailedConnect(string value, string endpoint)
    {
        var options = RedisConfiguration.Parse(value);

        Assert.Equal(endpoint, Assert.Single(options.EndPoints).ToString()!.Replace("Unspecified/", string.Empty, StringComparison.Ordinal));
        Assert.False(options.AbortOnConnectFail);
        Assert.IsType<LinearRetry>(options.ReconnectRetryPolicy);
        Assert.False(options.ReconnectRetryPolicy.ShouldRetry(0, 999));
        Assert.True(options.ReconnectRetryPolicy.ShouldRetry(0, 1000));
    }

    [Fact]
    public void GrainStorage_FailsFast_WhileOtherConnectionsWaitForRedis()
    {
        Assert.Same(BacklogPolicy.FailFast, RedisConfiguration.ForGrainStorage("127.0.0.1:6379").BacklogPolicy);
        Assert.NotSame(BacklogPolicy.FailFast, RedisConfiguration.Parse("127.0.0.1:6379").BacklogPolicy);
    }

    [Theory]
    [InlineData("", "not a Redis address or connection string")]
    [InlineData(",,,", "names no Redis server")]
    [InlineData("127.0.0.1:6379,ssl=maybe", "not a Redis address or connection string")]
    public void AValueNamingNoServer_IsRefusedWithTheReason(string value, string reason)
    {
        var refused = Assert.Throws<ArgumentException>(() => RedisConfiguration.Parse(value));

        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
    }
}
