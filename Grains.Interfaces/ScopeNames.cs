using Mesh.Orleans.Grains.Interfaces.Proxies;

namespace Mesh.Orleans.Grains.Interfaces;

/// <summary>Names of proxy scopes.</summary>
public static class ScopeNames
{
    /// <summary>
    /// The scope of proxyless gRPC clients that no Sidecar resource narrows: they see the whole mesh.
    /// </summary>
    public const string Default = "default";

    /// <summary>
    /// The scope every Envoy sidecar shares: the outbound listeners, the route configurations
    /// named by port, and the clusters and endpoints of the whole mesh.
    /// </summary>
    public const string Sidecar = "sidecar";

    /// <summary>
    /// The scope every gateway shares: the clusters and endpoints of the whole mesh. Its listeners
    /// and routes come from the scope of its labels (<see cref="Gateway"/>).
    /// </summary>
    public const string Router = "router";

    /// <summary>
    /// How many grains hold the hostnames of each whole-mesh scope (<see cref="Default"/>,
    /// <see cref="Sidecar"/>, <see cref="Router"/>): no activation holds the whole mesh. Each
    /// hostname belongs to one shard (<see cref="ShardOf"/>); frontends subscribe to every shard
    /// and serve their union. Silos and frontends must agree on it, so it is fixed by the build.
    /// </summary>
    public const int WholeMeshShards = 16;

    /// <summary>What separates a whole-mesh scope's name from its shard's in a grain key (<c>default#3</c>).</summary>
    public const char ShardMark = '#';

    /// <summary>
    /// The grain that puts the whole-mesh sidecar scope's listeners and per-port route
    /// configurations together from every hostname (they combine hostnames of every shard); its
    /// shards hold the clusters and endpoints.
    /// </summary>
    public const string SidecarListeners = "sidecar#listeners";

    /// <summary>True for the name of a whole-mesh scope, served by several grains (<see cref="GrainsOf"/>).</summary>
    public static bool IsWholeMesh(string scope) => scope is Default or Sidecar or Router;

    /// <summary>
    /// The shard of a whole-mesh scope that holds <paramref name="hostname"/>: FNV-1a of its
    /// UTF-16 code units, so every process computes the same one.
    /// </summary>
    public static int ShardOf(string hostname)
    {
        ArgumentNullException.ThrowIfNull(hostname);
        var hash = 2166136261u;
        foreach (var c in hostname)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % WholeMeshShards);
    }

    /// <summary>The grain key of shard <paramref name="shard"/> of the whole-mesh scope <paramref name="scope"/>.</summary>
    public static string Shard(string scope, int shard) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{scope}{ShardMark}{shard}");

    /// <summary>The grain keys of the shards of the whole-mesh scope <paramref name="scope"/>.</summary>
    public static IReadOnlyList<string> ShardsOf(string scope) =>
        Enumerable.Range(0, WholeMeshShards).Select(i => Shard(scope, i)).ToList();

    /// <summary>
    /// Every grain whose resources make up the whole-mesh scope <paramref name="scope"/>: its
    /// shards, and for the sidecar scope <see cref="SidecarListeners"/> too.
    /// </summary>
    public static IReadOnlyList<string> GrainsOf(string scope) =>
        scope == Sidecar ? [.. ShardsOf(scope), SidecarListeners] : ShardsOf(scope);

    /// <summary>
    /// The whole-mesh scope a grain key is part of (<c>default#3</c>, <see cref="SidecarListeners"/>),
    /// with its shard (null for <see cref="SidecarListeners"/>), or null for any other key.
    /// </summary>
    public static (string Scope, int? Shard)? ParseShard(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key == SidecarListeners)
        {
            return (Sidecar, null);
        }

        var mark = key.IndexOf(ShardMark, StringComparison.Ordinal);
        if (mark <= 0 || !IsWholeMesh(key[..mark])
            || !int.TryParse(key.AsSpan(mark + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var shard)
            || shard >= WholeMeshShards || key.Length - mark - 1 != shard.ToString(System.Globalization.CultureInfo.InvariantCulture).Length)
        {
            return null;
        }

        return (key[..mark], shard);
    }

    /// <summary>The prefix of the scope of the sidecars that see one part of the mesh.</summary>
    public const string SidecarPrefix = "sidecar/";

    /// <summary>
    /// The scope of the sidecars of <paramref name="proxyNamespace"/> in one member cluster that
    /// see the same part of the mesh: those no workload-selecting Sidecar resource chooses (they
    /// take the namespace's Sidecar, else the root namespace's, else none), as
    /// <c>sidecar/&lt;cluster&gt;/&lt;namespace&gt;</c>, or those the workload-selecting Sidecar
    /// <paramref name="sidecarName"/> of their namespace chooses, as
    /// <c>sidecar/&lt;cluster&gt;/&lt;namespace&gt;/&lt;sidecar&gt;</c>; and when workload-selecting
    /// EnvoyFilters (<paramref name="envoyFilters"/>, each <c>namespace/name</c>) patch them, those
    /// too, in ordinal order after the Sidecar (<c>~</c> for none):
    /// <c>sidecar/&lt;cluster&gt;/&lt;namespace&gt;/&lt;sidecar or ~&gt;/&lt;filter,...&gt;</c>. Each part is
    /// escaped as URI data, so no two such scopes share a name. What a scope serves depends only on
    /// these parts (exportTo and the Sidecar's egress hosts depend on the namespace, and the
    /// Sidecar and EnvoyFilters are chosen by them), so proxies never outnumber the scopes they need.
    /// A list of EnvoyFilters longer than <see cref="MaxFilterListLength"/> characters (a workload
    /// selected by very many) is named by its digest instead (<see cref="FilterList"/>), so that a
    /// scope's name stays bounded whatever the EnvoyFilters.
    /// </summary>
    public static string SidecarScope(string memberClusterId, string proxyNamespace, string? sidecarName = null, IEnumerable<string>? envoyFilters = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberClusterId);
        ArgumentException.ThrowIfNullOrEmpty(proxyNamespace);
        var scope = $"{SidecarPrefix}{Uri.EscapeDataString(memberClusterId)}/{Uri.EscapeDataString(proxyNamespace)}";
        var filters = FilterList(envoyFilters ?? []);
        if (filters.Length > 0)
        {
            return $"{scope}/{(string.IsNullOrEmpty(sidecarName) ? NoSidecar : Uri.EscapeDataString(sidecarName))}/{filters}";
        }

        return string.IsNullOrEmpty(sidecarName) ? scope : $"{scope}/{Uri.EscapeDataString(sidecarName)}";
    }

    // The Sidecar part of a scope named by its EnvoyFilters alone (no Kubernetes name is "~").
    private const string NoSidecar = "~";

    /// <summary>The longest list of EnvoyFilters a scope's name spells out; a longer one is named by its digest.</summary>
    public const int MaxFilterListLength = 512;

    /// <summary>The mark of a list of EnvoyFilters named by its digest (an escaped name never starts with it).</summary>
    public const string FilterDigestMark = "#";

    /// <summary>
    /// The EnvoyFilter part of a scope's name for <paramref name="envoyFilters"/> (<c>namespace/name</c>
    /// each): the names in ordinal order, escaped, joined by commas; or, past
    /// <see cref="MaxFilterListLength"/> characters, <c>#</c> and the first 32 hexadecimal digits of
    /// that list's SHA-256. Empty for none.
    /// </summary>
    public static string FilterList(IEnumerable<string> envoyFilters)
    {
        ArgumentNullException.ThrowIfNull(envoyFilters);
        var list = string.Join(',', envoyFilters.Order(StringComparer.Ordinal).Select(Uri.EscapeDataString));
        if (list.Length <= MaxFilterListLength)
        {
            return list;
        }

        var digest = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(list));
        return FilterDigestMark + Convert.ToHexStringLower(digest)[..32];
    }

    /// <summary>The prefix of the scope of the proxyless gRPC clients that see one part of the mesh.</summary>
    public const string ProxylessPrefix = "proxyless/";

    /// <summary>
    /// The scope of the proxyless gRPC clients of <paramref name="proxyNamespace"/> in one member
    /// cluster that see the same part of the mesh, as <see cref="SidecarScope"/> names sidecars'
    /// (Istio applies Sidecar resources and exportTo to them alike), but never named by
    /// EnvoyFilters, which do not patch proxyless clients: <c>proxyless/&lt;cluster&gt;/&lt;namespace&gt;[/&lt;sidecar&gt;]</c>.
    /// </summary>
    public static string ProxylessScope(string memberClusterId, string proxyNamespace, string? sidecarName = null) =>
        ProxylessPrefix + SidecarScope(memberClusterId, proxyNamespace, sidecarName)[SidecarPrefix.Length..];

    /// <summary>The prefix of the scope of the gateways of one namespace.</summary>
    public const string RouterPrefix = "router/";

    /// <summary>
    /// The scope of the clusters and endpoints of the gateways of <paramref name="proxyNamespace"/>
    /// in one member cluster: what is exported to that namespace, with the DestinationRules Istio
    /// looks up for it. Sidecar resources do not apply to gateways, as in Istio, so it is never
    /// named by one: <c>router/&lt;cluster&gt;/&lt;namespace&gt;</c>; and when workload-selecting
    /// EnvoyFilters with CLUSTER patches select the gateways (<paramref name="envoyFilters"/>, each
    /// <c>namespace/name</c>), those too: <c>router/&lt;cluster&gt;/&lt;namespace&gt;/~/&lt;filter,...&gt;</c>.
    /// </summary>
    public static string RouterScope(string memberClusterId, string proxyNamespace, IEnumerable<string>? envoyFilters = null) =>
        RouterPrefix + SidecarScope(memberClusterId, proxyNamespace, null, envoyFilters)[SidecarPrefix.Length..];

    /// <summary>True when <paramref name="scope"/> names the scope of one namespace's gateways (<see cref="RouterScope"/>).</summary>
    public static bool IsRouterScope(string scope) => scope.StartsWith(RouterPrefix, StringComparison.Ordinal);

    /// <summary>
    /// The scope of the same part of the mesh for proxies of <paramref name="kind"/>: a sidecar
    /// scope's name as it is, or the proxyless scope of its namespace and Sidecar.
    /// </summary>
    public static string ForKind(string sidecarScope, ProxyKind kind)
    {
        ArgumentNullException.ThrowIfNull(sidecarScope);
        if (kind != ProxyKind.Proxyless || ParseSidecarScope(sidecarScope) is not { } parsed)
        {
            return sidecarScope;
        }

        return ProxylessScope(parsed.MemberClusterId, parsed.Namespace, parsed.SidecarName);
    }

    /// <summary>True when <paramref name="scope"/> names the scope of a part of the mesh's sidecars (<see cref="SidecarScope"/>).</summary>
    public static bool IsSidecarScope(string scope) => scope.StartsWith(SidecarPrefix, StringComparison.Ordinal);

    /// <summary>True when <paramref name="scope"/> names the scope of part of the mesh, of sidecars, proxyless clients or gateways.</summary>
    public static bool IsPartScope(string scope) =>
        IsSidecarScope(scope) || scope.StartsWith(ProxylessPrefix, StringComparison.Ordinal) || IsRouterScope(scope);

    /// <summary>
    /// The member cluster, namespace, workload-selecting Sidecar (null: none) and workload-selecting
    /// EnvoyFilters (<c>namespace/name</c>; empty: none; or a single entry starting with
    /// <see cref="FilterDigestMark"/>, the digest of a long list: see <see cref="FilterList"/>) of a
    /// sidecar, proxyless or gateway scope's name (<see cref="IsPartScope"/>), or null when it is none of them.
    /// </summary>
    public static (string MemberClusterId, string Namespace, string? SidecarName, IReadOnlyList<string> EnvoyFilters)? ParseSidecarScope(string scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (!IsPartScope(scope))
        {
            return null;
        }

        var parts = scope[(IsSidecarScope(scope) ? SidecarPrefix : IsRouterScope(scope) ? RouterPrefix : ProxylessPrefix).Length..].Split('/');
        if (parts.Length is < 2 or > 4 || parts.Any(p => p.Length == 0))
        {
            return null;
        }

        var sidecar = parts.Length >= 3 && parts[2] != NoSidecar ? Uri.UnescapeDataString(parts[2]) : null;
        IReadOnlyList<string> filters = parts.Length < 4 ? []
            : parts[3].StartsWith(FilterDigestMark, StringComparison.Ordinal) ? [parts[3]]
            : parts[3].Split(',').Select(Uri.UnescapeDataString).ToList();
        return (Uri.UnescapeDataString(parts[0]), Uri.UnescapeDataString(parts[1]), sidecar, filters);
    }

    /// <summary>The prefix of a workload's own scope.</summary>
    public const string WorkloadPrefix = "workload/";

    /// <summary>
    /// The scope of one workload's own resources (a sidecar's inbound listener and clusters): its
    /// kind, member cluster and IP address, as <c>workload/&lt;kind&gt;/&lt;cluster&gt;/&lt;ip&gt;</c>.
    /// </summary>
    public static string Workload(ProxyKind kind, string memberClusterId, string ip) =>
        $"{WorkloadPrefix}{kind.ToString().ToLowerInvariant()}/{memberClusterId}/{ip}";

    /// <summary>The prefix of the scope of the gateways that carry one set of labels.</summary>
    public const string GatewayPrefix = "gateway/";

    /// <summary>
    /// The scope of the gateway workloads of one member cluster that carry <paramref name="labels"/>
    /// (the Gateways selecting them, their listeners and routes, patched by the EnvoyFilters of the
    /// root namespace and of <paramref name="ns"/> that select them), as
    /// <c>gateway/&lt;cluster&gt;/&lt;name=value,...&gt;[/&lt;namespace&gt;]</c>: the labels in ordinal order of their names,
    /// names and values escaped as URI data, so that any label set has one name and no other set shares it.
    /// Without a namespace, only the root namespace's EnvoyFilters apply.
    /// </summary>
    public static string Gateway(string memberClusterId, IReadOnlyDictionary<string, string> labels, string? ns = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberClusterId);
        ArgumentNullException.ThrowIfNull(labels);
        var pairs = labels
            .OrderBy(l => l.Key, StringComparer.Ordinal)
            .Select(l => Uri.EscapeDataString(l.Key) + "=" + Uri.EscapeDataString(l.Value));
        var key = $"{GatewayPrefix}{Uri.EscapeDataString(memberClusterId)}/{string.Join(',', pairs)}";
        return string.IsNullOrEmpty(ns) ? key : key + "/" + Uri.EscapeDataString(ns);
    }

    /// <summary>True when <paramref name="scope"/> names the scope of a set of gateway labels.</summary>
    public static bool IsGateway(string scope) => scope.StartsWith(GatewayPrefix, StringComparison.Ordinal);

    /// <summary>The member cluster, labels and namespace (null: none given) of a gateway scope's name, or null when it is not one.</summary>
    public static (string MemberClusterId, IReadOnlyDictionary<string, string> Labels, string? Namespace)? ParseGateway(string scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (!IsGateway(scope))
        {
            return null;
        }

        var rest = scope[GatewayPrefix.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return null;
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var list = rest[(slash + 1)..];
        string? ns = null;
        if (list.IndexOf('/', StringComparison.Ordinal) is var nsSlash and >= 0)
        {
            ns = Uri.UnescapeDataString(list[(nsSlash + 1)..]);
            list = list[..nsSlash];
            if (ns.Length == 0)
            {
                return null;
            }
        }

        foreach (var pair in list.Length == 0 ? [] : list.Split(','))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !labels.TryAdd(Uri.UnescapeDataString(pair[..equals]), Uri.UnescapeDataString(pair[(equals + 1)..])))
            {
                return null;
            }
        }

        return (Uri.UnescapeDataString(rest[..slash]), labels, ns);
    }

    /// <summary>True when <paramref name="scope"/> names a workload's own scope.</summary>
    public static bool IsWorkload(string scope) => scope.StartsWith(WorkloadPrefix, StringComparison.Ordinal);

    /// <summary>The parts of a workload scope's name, or null when it is not one.</summary>
    public static (ProxyKind Kind, string MemberClusterId, string Ip)? ParseWorkload(string scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (!IsWorkload(scope))
        {
            return null;
        }

        var parts = scope[WorkloadPrefix.Length..].Split('/', 3);
        if (parts.Length != 3 || parts[1].Length == 0 || parts[2].Length == 0
            || !Enum.TryParse<ProxyKind>(parts[0], ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
        {
            return null;
        }

        return (kind, parts[1], parts[2]);
    }
}
