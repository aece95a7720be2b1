using System.Net;
using System.Text;
using System.Text.Json;

namespace Mesh.Orleans.Cli;

/// <summary>
/// Reads JSON from a control plane's debug port (the HTTP/1.1 port, 15014 by default), turning
/// every way that can fail into one line that names the URL: a URL that is not http(s), a
/// connection refused, a status other than 2xx (with the first line of the body the server
/// gave as its reason), no answer in time, or a body that is not JSON.
/// </summary>
internal sealed class DebugClient : IDisposable
{
    /// <summary>Where a control plane started with the defaults serves its debug endpoints.</summary>
    public const string DefaultUrl = "http://127.0.0.1:15014";

    /// <summary>How long one request may take. 10 s: the debug endpoints answer within about 2 s even when the silo is gone.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Largest body read, in bytes (a config dump of a large mesh is tens of MiB).</summary>
    public const int MaxBodyBytes = 256 * 1024 * 1024;

    private readonly HttpClient _http;

    private DebugClient(Uri baseUrl, HttpClient http)
    {
        BaseUrl = baseUrl;
        _http = http;
    }

    /// <summary>The debug port's URL as given (a path after the port is kept as a prefix).</summary>
    public Uri BaseUrl { get; }

    /// <summary>
    /// A client of <paramref name="url"/>; a <see cref="CliException"/> with <see cref="ExitCodes.Usage"/>
    /// when it is not an absolute http or https URL.
    /// </summary>
    public static DebugClient Create(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)
            || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            throw new CliException($"--debug must be the http:// or https:// URL of the control plane's debug port (such as {DefaultUrl}), not '{Printable(url ?? string.Empty)}'", ExitCodes.Usage);
        }

        var http = new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = MaxBodyBytes };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("mesh-cli");
        return new DebugClient(uri, http);
    }

    /// <summary>The full URL of <paramref name="pathAndQuery"/> (which starts with <c>/</c>) on the debug port.</summary>
    public string UrlOf(string pathAndQuery) => BaseUrl.AbsoluteUri.TrimEnd('/') + pathAndQuery;

    /// <summary>GETs <paramref name="pathAndQuery"/> and parses the body as JSON.</summary>
    public async Task<JsonDocument> GetJsonAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        var url = UrlOf(pathAndQuery);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        HttpResponseMessage response;
        byte[] body;
        try
        {
            response = await _http.GetAsync(url, HttpCompletionOption.ResponseContentRead, timeout.Token);
            body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"{url} did not answer within {Timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException exception)
        {
            throw new CliException($"cannot reach the control plane at {url}: {Printable(exception.Message)}");
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var reason = FirstLine(body);
                throw new CliException($"{url} answered {(int)response.StatusCode} {Printable(response.ReasonPhrase ?? StatusName(response.StatusCode))}{(reason.Length > 0 ? ": " + reason : string.Empty)}");
            }

            try
            {
                return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 256 });
            }
            catch (JsonException exception)
            {
                throw new CliException($"{url} did not answer JSON ({Printable(exception.Message)}); is it a mesh control plane's debug port?");
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    /// <summary>
    /// Text from the network or the user made safe for a terminal: control characters (an
    /// escape sequence a hostile server sends) become spaces, and it is cut at 200 characters.
    /// </summary>
    public static string Printable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(Math.Min(text.Length, 201));
        foreach (var c in text)
        {
            if (builder.Length == 200)
            {
                builder.Append('…');
                break;
            }

            builder.Append(char.IsControl(c) ? ' ' : c);
        }

        return builder.ToString().Trim();
    }

    private static string FirstLine(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 4096));
        var line = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? string.Empty;
        return Printable(line);
    }

    private static string StatusName(HttpStatusCode code) => code.ToString();
}
