using System.Net;
using System.Net.Sockets;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>Free loopback ports for the Orleans silo, whose ports must be known before it starts.</summary>
public static class TestPorts
{
    private static readonly object s_gate = new();
    private static readonly HashSet<int> s_handedOut = [];

    /// <summary>A port that was free on 127.0.0.1 a moment ago and that this process has not handed out before.</summary>
    public static int Free()
    {
        lock (s_gate)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (s_handedOut.Add(port))
                {
                    return port;
                }
            }

            throw new InvalidOperationException("no free port found in 100 attempts");
        }
    }
}
