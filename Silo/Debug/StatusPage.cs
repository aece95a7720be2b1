using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Mesh.Orleans.Silo.Debug;

/// <summary>
/// A read-only status page on the debug port at <c>/</c> (and <c>/index.html</c>): member clusters,
/// services, connected proxies by sync status, rejected objects, last pushes and a chart of
/// convergence time, read by the page itself from <c>/debug/clusterz</c>, <c>/debug/config</c>,
/// <c>/debug/syncz</c>, <c>/debug/push_status</c> and <c>/metrics</c> every 5 s. One static HTML
/// file with its CSS and JS inline, embedded in this assembly, so it works offline.
/// </summary>
public static partial class StatusPage
{
    private const string ResourceName = "Mesh.Orleans.Silo.Debug.StatusPage.html";

    /// <summary>Maps <c>GET /</c> and <c>GET /index.html</c> to the page.</summary>
    public static IEndpointRouteBuilder MapStatusPage(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var page = Load();
        var policy = ContentSecurityPolicy(Encoding.UTF8.GetString(page));
        IResult Serve(HttpContext http)
        {
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = policy;
            headers.CacheControl = "no-store";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            return Results.Bytes(page, "text/html; charset=utf-8");
        }

        endpoints.MapGet("/", Serve);
        endpoints.MapGet("/index.html", Serve);
        return endpoints;
    }

    /// <summary>
    /// The page's policy: its inline script and style are allowed by their SHA-256 hashes (no
    /// <c>'unsafe-inline'</c>), it may fetch only its own origin, and nothing else loads at all.
    /// </summary>
    internal static string ContentSecurityPolicy(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        var scripts = string.Join(' ', InlineScript().Matches(html).Select(m => Hash(m.Groups["body"].Value)));
        var styles = string.Join(' ', InlineStyle().Matches(html).Select(m => Hash(m.Groups["body"].Value)));
        return $"default-src 'self'; script-src {scripts}; style-src {styles}; img-src data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    private static string Hash(string body) => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(body)))}'";

    private static byte[] Load()
    {
        using var stream = typeof(StatusPage).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the embedded resource {ResourceName} is missing");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [GeneratedRegex("<script>(?<body>.*?)</script>", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex InlineScript();

    [GeneratedRegex("<style>(?<body>.*?)</style>", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex InlineStyle();
}
