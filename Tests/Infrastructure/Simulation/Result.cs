using System.Globalization;
using System.Text;
using Envoy.Config.Route.V3;

namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>
/// Where a simulated call went, step by step: the listener that handled it, its filter chain,
/// for HTTP the RouteConfiguration, virtual host and route, and what the route did (forward to
/// a cluster or a weighted split, answer directly, redirect), with the chosen cluster's
/// endpoints; or the step at which matching failed (<see cref="Failure"/>, <see cref="Error"/>).
/// Fields past the failing step are null.
/// </summary>
public sealed record Result
{
    /// <summary>The simulated call.</summary>
    public required Call Call { get; init; }

    /// <summary>Where matching failed, or null when the call reached a cluster or was answered by the proxy.</summary>
    public SimulationFailure? Failure { get; init; }

    /// <summary>What failed and which resource is at fault, when <see cref="Failure"/> is set.</summary>
    public string? Error { get; init; }

    /// <summary>The listener that handled the connection (after any <c>use_original_dst</c> hand-off).</summary>
    public string? Listener { get; init; }

    /// <summary>The listener that accepted the connection, when it handed it off to <see cref="Listener"/>.</summary>
    public string? HandedOffFrom { get; init; }

    /// <summary>The filter chain the connection matched (its name; the default chain is named so when unnamed).</summary>
    public string? FilterChain { get; init; }

    /// <summary>The RouteConfiguration consulted (its name; RDS or inline).</summary>
    public string? RouteConfiguration { get; init; }

    /// <summary>The virtual host that answered to the authority.</summary>
    public string? VirtualHost { get; init; }

    /// <summary>The name of the route that matched first.</summary>
    public string? Route { get; init; }

    /// <summary>The matched route itself, for asserting on its timeouts, retries, per-filter configs.</summary>
    public Route? MatchedRoute { get; init; }

    /// <summary>The cluster the call was sent to: the route's or TCP proxy's single cluster, or the one a weighted split picked.</summary>
    public string? Cluster { get; init; }

    /// <summary>Each cluster of a weighted split with its weight, when the route or TCP proxy splits.</summary>
    public IReadOnlyList<WeightedTarget> WeightedClusters { get; init; } = [];

    /// <summary>The status of a direct response, when the route answers itself.</summary>
    public int? DirectResponseStatus { get; init; }

    /// <summary>The redirect the route answers with.</summary>
    public RedirectResult? Redirect { get; init; }

    /// <summary>The endpoints of <see cref="Cluster"/> as <c>address:port</c> (an original-destination cluster's is the call's own destination).</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = [];

    /// <summary>Whether the call got through every step.</summary>
    public bool Succeeded => Failure is null;

    /// <summary>
    /// Where the call ended, in one string for distributions and one-line asserts: the cluster,
    /// <c>direct_response 503</c>, <c>redirect 301 https://...</c>, <c>weighted</c> for a split not
    /// yet drawn, or <c>error ClusterMissing</c>.
    /// </summary>
    public string Destination =>
        Failure is { } failure ? $"error {failure}"
        : Cluster is { } cluster ? cluster
        : DirectResponseStatus is { } status ? string.Create(CultureInfo.InvariantCulture, $"direct_response {status}")
        : Redirect is { } redirect ? string.Create(CultureInfo.InvariantCulture, $"redirect {redirect.Status} {redirect.Location}")
        : WeightedClusters.Count > 0 ? "weighted"
        : "nowhere";

    /// <summary>Throws, describing the whole path, unless the call reached <paramref name="cluster"/>.</summary>
    public Result ShouldReach(string cluster)
    {
        if (Failure is not null || Cluster != cluster)
        {
            throw new Xunit.Sdk.XunitException($"Expected {Call} to reach {cluster}, but:{Environment.NewLine}{this}");
        }

        return this;
    }

    /// <summary>Throws, describing the whole path, unless the call failed with <paramref name="failure"/>.</summary>
    public Result ShouldFail(SimulationFailure failure)
    {
        if (Failure != failure)
        {
            throw new Xunit.Sdk.XunitException($"Expected {Call} to fail with {failure}, but:{Environment.NewLine}{this}");
        }

        return this;
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"  call: {Call}").AppendLine();
        Line("listener", HandedOffFrom is null ? Listener : $"{Listener} (handed off from {HandedOffFrom})");
        Line("filter chain", FilterChain);
        Line("route configuration", RouteConfiguration);
        Line("virtual host", VirtualHost);
        Line("route", Route);
        Line("cluster", Cluster);
        foreach (var target in WeightedClusters)
        {
            text.Append(CultureInfo.InvariantCulture, $"  weighted: {target.Cluster} weight {target.Weight}{(target.Exists ? string.Empty : " (missing)")}").AppendLine();
        }

        Line("direct response", DirectResponseStatus?.ToString(CultureInfo.InvariantCulture));
        Line("redirect", Redirect is null ? null : $"{Redirect.Status} {Redirect.Location}");
        Line("endpoints", Endpoints.Count == 0 ? null : string.Join(", ", Endpoints));
        Line("failure", Failure is null ? null : $"{Failure}: {Error}");
        return text.ToString();

        void Line(string label, string? value)
        {
            if (value is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"  {label}: {value}").AppendLine();
            }
        }
    }
}
