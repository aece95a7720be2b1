namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>How a connection reaches the proxy.</summary>
public enum CallMode
{
    /// <summary>
    /// Sent by the workload beside the sidecar: iptables redirects it to the proxy's outbound
    /// port (15001), keeping the original destination for <c>use_original_dst</c>.
    /// </summary>
    Outbound,

    /// <summary>Sent to the workload from elsewhere: iptables redirects it to the proxy's inbound port (15006).</summary>
    Inbound,

    /// <summary>Sent straight to an address and port the proxy binds, with no redirect (a gateway).</summary>
    Direct,
}
