using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Mesh.Orleans.Xds.Frontend.Internal;

/// <summary>The ASP.NET Core side of a gRPC call.</summary>
internal static class CallContexts
{
    /// <summary>The call's HTTP context, or null for a call context of the tests' own (not ASP.NET Core's).</summary>
    public static HttpContext? HttpContextOf(ServerCallContext call)
    {
        try
        {
            return call.GetHttpContext();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
