namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>HTTPFaultInjection.Delay</c>.</summary>
/// <param name="FixedDelay">How long a delayed request waits.</param>
/// <param name="Percentage">The share of requests delayed, 0 to 100 (<c>percentage.value</c>, or the deprecated integer <c>percent</c>).</param>
[GenerateSerializer, Immutable]
public sealed record FaultDelaySpec(
    [property: Id(0)] TimeSpan FixedDelay,
    [property: Id(1)] double Percentage);
