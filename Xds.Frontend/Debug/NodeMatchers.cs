using Envoy.Type.Matcher.V3;
using Grpc.Core;

namespace Mesh.Orleans.Xds.Frontend.Debug;

/// <summary>
/// CSDS <c>node_matchers</c> as a filter on node ids: a node is included when any matcher matches
/// (OR, as csds.proto says). Only <c>node_id</c> with <c>exact</c> or <c>prefix</c> (and
/// <c>ignore_case</c>) is supported; anything else is refused with InvalidArgument and the
/// reason, as grpc-go's CSDS refuses the matchers it does not support, rather than ignored.
/// </summary>
internal static class NodeMatchers
{
    /// <summary>At most this many matchers in one request: each costs a pass over the connected nodes.</summary>
    public const int MaxMatchers = 100;

    /// <summary>The filter <paramref name="matchers"/> describe; null (every node) when there are none.</summary>
    public static Func<string, bool>? Compile(IReadOnlyList<NodeMatcher> matchers)
    {
        if (matchers.Count == 0)
        {
            return null;
        }

        if (matchers.Count > MaxMatchers)
        {
            throw Refuse($"{matchers.Count} node_matchers exceed the limit of {MaxMatchers}");
        }

        var tests = new List<Func<string, bool>>(matchers.Count);
        for (var i = 0; i < matchers.Count; i++)
        {
            var matcher = matchers[i];
            if (matcher.NodeMetadatas.Count > 0)
            {
                throw Refuse($"node_matchers[{i}].node_metadatas are not supported; match on node_id (exact or prefix)");
            }

            if (matcher.NodeId is not { } id)
            {
                throw Refuse($"node_matchers[{i}] has no node_id; only node_id (exact or prefix) is supported");
            }

            var comparison = id.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            tests.Add(id.MatchPatternCase switch
            {
                StringMatcher.MatchPatternOneofCase.Exact => node => string.Equals(node, id.Exact, comparison),
                StringMatcher.MatchPatternOneofCase.Prefix => node => node.StartsWith(id.Prefix, comparison),
                StringMatcher.MatchPatternOneofCase.None => throw Refuse($"node_matchers[{i}].node_id sets no pattern; use exact or prefix"),
                var other => throw Refuse($"node_matchers[{i}].node_id: {ProtoName(other)} is not supported; use exact or prefix"),
            });
        }

        return node => tests.Exists(test => test(node));
    }

    private static string ProtoName(StringMatcher.MatchPatternOneofCase pattern) => pattern switch
    {
        StringMatcher.MatchPatternOneofCase.SafeRegex => "safe_regex",
        _ => pattern.ToString().ToLowerInvariant(),
    };

    private static RpcException Refuse(string reason) => new(new Status(StatusCode.InvalidArgument, reason));
}
