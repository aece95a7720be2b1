namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>HTTPRetry</c>.</summary>
/// <param name="Attempts">How many retries; 0 disables retries.</param>
/// <param name="PerTryTimeout">The timeout of each try, or null.</param>
/// <param name="RetryOn">The conditions, comma separated (Envoy's <c>x-envoy-retry-on</c> and <c>x-envoy-retry-grpc-on</c> words, or HTTP status codes), or null for Istio's default.</param>
/// <param name="RetryRemoteLocalities">Whether retries go to other localities, or null for the default (no).</param>
/// <param name="RetryIgnorePreviousHosts">Whether a retry avoids the hosts already tried, or null for the default (yes).</param>
/// <param name="Backoff">The base interval between retries, or null for Envoy's (25 ms).</param>
[GenerateSerializer, Immutable]
public sealed record HttpRetrySpec(
    [property: Id(0)] int Attempts,
    [property: Id(1)] TimeSpan? PerTryTimeout,
    [property: Id(2)] string? RetryOn,
    [property: Id(3)] bool? RetryRemoteLocalities,
    [property: Id(4)] bool? RetryIgnorePreviousHosts,
    [property: Id(5)] TimeSpan? Backoff);
