namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>The action a matched HTTP route must have (Istio's <c>RouteMatch.Action</c>); the numbers are Istio's.</summary>
public enum EnvoyFilterRouteAction
{
    /// <summary>Whatever the action.</summary>
    Any = 0,

    /// <summary>A route to clusters.</summary>
    Route = 1,

    /// <summary>A redirect.</summary>
    Redirect = 2,

    /// <summary>A direct response.</summary>
    DirectResponse = 3,
}
