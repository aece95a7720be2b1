namespace Mesh.Orleans.Tests.Infrastructure.Simulation;

/// <summary>
/// An HTTP request as a route sees it: Envoy's header map, pseudo-headers included
/// (<c>:authority</c>, <c>:path</c>, <c>:method</c>, <c>:scheme</c>), names lower-cased.
/// </summary>
internal sealed class Request
{
    private readonly List<KeyValuePair<string, string>> _headers = [];

    /// <summary>A request for <paramref name="call"/> with Host <paramref name="authority"/>.</summary>
    public Request(Call call, string authority)
    {
        Add(":authority", authority);
        Add(":path", call.Path);
        Add(":method", call.Method);
        Add(":scheme", "http");
        foreach (var (name, value) in call.Headers)
        {
            if (!string.Equals(name, "host", StringComparison.OrdinalIgnoreCase))
            {
                Add(name, value);
            }
        }

        FullPath = call.Path;
        var end = FullPath.IndexOfAny(['?', '#']);
        PathOnly = end < 0 ? FullPath : FullPath[..end];
        var question = FullPath.IndexOf('?', StringComparison.Ordinal);
        var hash = FullPath.IndexOf('#', StringComparison.Ordinal);
        Query = question < 0 ? string.Empty : FullPath[(question + 1)..(hash > question ? hash : FullPath.Length)];
    }

    /// <summary>The whole <c>:path</c>, query string included.</summary>
    public string FullPath { get; }

    /// <summary>The <c>:path</c> without its query string and fragment.</summary>
    public string PathOnly { get; }

    /// <summary>The query string, without the <c>?</c>.</summary>
    public string Query { get; }

    /// <summary>All values of <paramref name="name"/> joined with commas, as Envoy matches a repeated header; null when absent.</summary>
    public string? Header(string name)
    {
        var values = _headers.Where(h => h.Key == name.ToLowerInvariant()).Select(h => h.Value).ToList();
        return values.Count == 0 ? null : string.Join(",", values);
    }

    /// <summary>The first value of query parameter <paramref name="name"/>, decoded; null when absent.</summary>
    public string? QueryParameter(string name)
    {
        foreach (var pair in Query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            if (key == name)
            {
                return equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            }
        }

        return null;
    }

    private void Add(string name, string value) => _headers.Add(new(name.ToLowerInvariant(), value));
}
