namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An Istio <c>HTTPFaultInjection</c>: at least one of a delay and an abort.</summary>
/// <param name="Delay">Requests to delay, or null.</param>
/// <param name="Abort">Requests to fail, or null.</param>
[GenerateSerializer, Immutable]
public sealed record HttpFaultSpec(
    [property: Id(0)] FaultDelaySpec? Delay,
    [property: Id(1)] FaultAbortSpec? Abort);
