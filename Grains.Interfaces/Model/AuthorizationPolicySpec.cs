namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>An AuthorizationPolicy's action (Istio's <c>AuthorizationPolicy.Action</c>); CUSTOM is refused by the parser.</summary>
public enum AuthorizationAction
{
    /// <summary>Requests that match some ALLOW policy pass; with ALLOW policies present, others are denied.</summary>
    Allow,

    /// <summary>Requests that match are denied (checked before ALLOW).</summary>
    Deny,

    /// <summary>Requests that match are logged (Envoy's RBAC action LOG); never denies.</summary>
    Audit,
}

/// <summary>
/// An Istio <c>AuthorizationPolicy</c> (security.istio.io v1, v1beta1): who may call the workloads it
/// selects, and how. Without a selector it applies to its namespace, or to the mesh in the root namespace.
/// </summary>
/// <param name="Namespace">Its namespace.</param>
/// <param name="Name">Its name.</param>
/// <param name="Selector">Its <c>selector.matchLabels</c>, or null.</param>
/// <param name="Action">ALLOW, DENY or AUDIT.</param>
/// <param name="Rules">Its <c>rules</c>; empty: none (an ALLOW policy without rules allows nothing). A null entry (<c>rules: [~]</c>) is kept as null: it matches nothing but keeps its index.</param>
/// <param name="DryRun">The annotation <c>istio.io/dry-run: "true"</c>: evaluated and counted (shadow rules), not enforced.</param>
/// <param name="CreationTimestamp">When it was created.</param>
[GenerateSerializer, Immutable]
public sealed record AuthorizationPolicySpec(
    [property: Id(0)] string Namespace,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyDictionary<string, string>? Selector,
    [property: Id(3)] AuthorizationAction Action,
    [property: Id(4)] IReadOnlyList<AuthorizationRuleSpec?> Rules,
    [property: Id(5)] bool DryRun = false,
    [property: Id(6)] DateTimeOffset? CreationTimestamp = null);

/// <summary>One rule: it matches a request that matches one of <paramref name="From"/>, one of <paramref name="To"/> (each: any when empty), and every one of <paramref name="When"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record AuthorizationRuleSpec(
    [property: Id(0)] IReadOnlyList<AuthorizationSourceSpec> From,
    [property: Id(1)] IReadOnlyList<AuthorizationOperationSpec> To,
    [property: Id(2)] IReadOnlyList<AuthorizationConditionSpec> When);

/// <summary>A rule's <c>from.source</c>: every field given must match (values: any of them; <c>not</c> values: none of them).</summary>
[GenerateSerializer, Immutable]
public sealed record AuthorizationSourceSpec(
    [property: Id(0)] IReadOnlyList<string> Principals,
    [property: Id(1)] IReadOnlyList<string> NotPrincipals,
    [property: Id(2)] IReadOnlyList<string> Namespaces,
    [property: Id(3)] IReadOnlyList<string> NotNamespaces,
    [property: Id(4)] IReadOnlyList<string> IpBlocks,
    [property: Id(5)] IReadOnlyList<string> NotIpBlocks,
    [property: Id(6)] IReadOnlyList<string> RemoteIpBlocks,
    [property: Id(7)] IReadOnlyList<string> NotRemoteIpBlocks);

/// <summary>A rule's <c>to.operation</c>: every field given must match.</summary>
[GenerateSerializer, Immutable]
public sealed record AuthorizationOperationSpec(
    [property: Id(0)] IReadOnlyList<string> Hosts,
    [property: Id(1)] IReadOnlyList<string> NotHosts,
    [property: Id(2)] IReadOnlyList<int> Ports,
    [property: Id(3)] IReadOnlyList<int> NotPorts,
    [property: Id(4)] IReadOnlyList<string> Methods,
    [property: Id(5)] IReadOnlyList<string> NotMethods,
    [property: Id(6)] IReadOnlyList<string> Paths,
    [property: Id(7)] IReadOnlyList<string> NotPaths);

/// <summary>A rule's <c>when</c> condition: <paramref name="Key"/> (e.g. <c>request.headers[x-token]</c>, <c>source.ip</c>) with values it must (not) take.</summary>
[GenerateSerializer, Immutable]
public sealed record AuthorizationConditionSpec(
    [property: Id(0)] string Key,
    [property: Id(1)] IReadOnlyList<string> Values,
    [property: Id(2)] IReadOnlyList<string> NotValues);
