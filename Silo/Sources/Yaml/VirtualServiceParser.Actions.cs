using System.Globalization;
using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>What an HTTP route does besides choosing destinations: redirect, direct response, rewrite, retries, faults, mirrors, headers, CORS.</summary>
internal static partial class VirtualServiceParser
{
    /// <summary>The most a direct response's body may hold, as Istio allows.</summary>
    private const int MaxBodyBytes = 1024 * 1024;

    private static readonly HashSet<string> s_redirectKeys = ["uri", "authority", "port", "derivePort", "scheme", "redirectCode", "prefixRewrite"];
    private static readonly HashSet<string> s_rewriteKeys = ["uri", "authority", "uriRegexRewrite"];
    private static readonly HashSet<string> s_retryKeys = ["attempts", "perTryTimeout", "retryOn", "retryRemoteLocalities", "retryIgnorePreviousHosts", "backoff"];
    private static readonly HashSet<string> s_faultKeys = ["delay", "abort"];
    private static readonly HashSet<string> s_delayKeys = ["fixedDelay", "percentage", "percent"];
    private static readonly HashSet<string> s_abortKeys = ["httpStatus", "grpcStatus", "percentage"];
    private static readonly HashSet<string> s_corsKeys = ["allowOrigin", "allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders", "maxAge", "allowCredentials", "unmatchedPreflights"];
    private static readonly HashSet<string> s_corsMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"];
    private static readonly HashSet<string> s_headersKeys = ["request", "response"];
    private static readonly HashSet<string> s_headerOperationKeys = ["set", "add", "remove"];

    /// <summary>Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on words, as Istio accepts them.</summary>
    private static readonly HashSet<string> s_retryOn =
    [
        "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
        "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    ];

    /// <summary>The gRPC status codes by name, as Istio accepts them in a fault's <c>grpcStatus</c>.</summary>
    private static readonly string[] s_grpcCodes =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
        "DATA_LOSS", "UNAUTHENTICATED",
    ];

    private static HttpRedirectSpec Redirect(YamlMappingNode map, string path, IReadOnlyList<HttpMatchSpec> matches)
    {
        YamlFields.OnlyKeys(map, path, s_redirectKeys);
        var uri = NonEmpty(YamlFields.OptionalString(map, "uri", path));
        var prefixRewrite = NonEmpty(YamlFields.OptionalString(map, "prefixRewrite", path));
        var authority = NonEmpty(YamlFields.OptionalString(map, "authority", path));
        var port = YamlFields.OptionalInt(map, "port", path, 1, 65535);
        var derivePort = YamlFields.OptionalString(map, "derivePort", path);
        var scheme = NonEmpty(YamlFields.OptionalString(map, "scheme", path));
        var code = YamlFields.OptionalInt(map, "redirectCode", path, 0, 999) ?? 0;
        if (uri is not null && prefixRewrite is not null)
        {
            throw new InvalidFieldException(path + ".prefixRewrite", "set either uri or prefixRewrite, not both");
        }

        if (prefixRewrite is not null && matches.Any(m => m.Uri is { Kind: not StringMatchKind.Prefix }))
        {
            throw new InvalidFieldException(path + ".prefixRewrite", "needs every uri match of the route to be a prefix match");
        }

        if (port is not null && derivePort is not null)
        {
            throw new InvalidFieldException(path + ".derivePort", "set either port or derivePort, not both");
        }

        if (derivePort is not null and not ("FROM_PROTOCOL_DEFAULT" or "FROM_REQUEST_PORT"))
        {
            throw new InvalidFieldException(path + ".derivePort", $"must be FROM_PROTOCOL_DEFAULT or FROM_REQUEST_PORT, not '{YamlFields.Truncate(derivePort)}'");
        }

        if (uri is null && prefixRewrite is null && authority is null && port is null && derivePort is null && scheme is null)
        {
            throw new InvalidFieldException(path, "must set uri, prefixRewrite, authority, scheme, port or derivePort");
        }

        if (scheme is not null and not ("http" or "https"))
        {
            throw new InvalidFieldException(path + ".scheme", $"must be http or https, not '{YamlFields.Truncate(scheme)}'");
        }

        // Istio accepts any 3xx but can only give Envoy these; any other makes a route without an action.
        if (code != 0 && code is not (301 or 302 or 303 or 307 or 308))
        {
            throw new InvalidFieldException(path + ".redirectCode", code is >= 300 and <= 399
                ? $"{code} is a 3xx code Envoy cannot send; use 301, 302, 303, 307 or 308"
                : $"{code} is not a redirect code (3xx)");
        }

        return new HttpRedirectSpec(uri, authority, port, derivePort, scheme, code == 0 ? 301 : code, prefixRewrite);
    }

    private static HttpDirectResponseSpec DirectResponse(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, new HashSet<string> { "status", "body" });
        var status = YamlFields.OptionalInt(map, "status", path, 200, 599)
            ?? throw new InvalidFieldException(path + ".status", "is required (an HTTP status, 200 to 599)");
        string? text = null;
        byte[]? bytes = null;
        if (YamlFields.OptionalMap(map, "body", path) is { } body)
        {
            var bodyPath = path + ".body";
            YamlFields.OnlyKeys(body, bodyPath, new HashSet<string> { "string", "bytes" });
            text = YamlFields.OptionalString(body, "string", bodyPath);
            var encoded = YamlFields.OptionalString(body, "bytes", bodyPath);
            if (text is not null && encoded is not null)
            {
                throw new InvalidFieldException(bodyPath, "set either string or bytes, not both");
            }

            if (encoded is not null)
            {
                try
                {
                    bytes = Convert.FromBase64String(encoded);
                }
                catch (FormatException)
                {
                    throw new InvalidFieldException(bodyPath + ".bytes", "is not base64");
                }
            }

            if ((text is null ? 0 : System.Text.Encoding.UTF8.GetByteCount(text)) + (bytes?.Length ?? 0) > MaxBodyBytes)
            {
                throw new InvalidFieldException(bodyPath, "a direct response body must be smaller than 1 MiB");
            }
        }

        return new HttpDirectResponseSpec(status, text, bytes);
    }

    private static DelegateSpec Delegate(YamlMappingNode map, string path, string ns)
    {
        YamlFields.OnlyKeys(map, path, new HashSet<string> { "name", "namespace" });
        var name = YamlFields.RequiredString(map, "name", path);
        YamlFields.RequireDnsSubdomain(name, path + ".name");
        var delegateNamespace = NonEmpty(YamlFields.OptionalString(map, "namespace", path));
        if (delegateNamespace is not null)
        {
            YamlFields.RequireDnsLabel(delegateNamespace, path + ".namespace");
        }

        return new DelegateSpec(name, delegateNamespace ?? ns);
    }

    private static HttpRewriteSpec Rewrite(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_rewriteKeys);
        var uri = NonEmpty(YamlFields.OptionalString(map, "uri", path));
        var authority = NonEmpty(YamlFields.OptionalString(map, "authority", path));
        string? match = null, substitution = null;
        if (YamlFields.OptionalMap(map, "uriRegexRewrite", path) is { } regex)
        {
            var regexPath = path + ".uriRegexRewrite";
            YamlFields.OnlyKeys(regex, regexPath, new HashSet<string> { "match", "rewrite" });
            match = YamlFields.RequiredString(regex, "match", regexPath);
            substitution = YamlFields.RequiredString(regex, "rewrite", regexPath);
            ValidateRe2(match, regexPath + ".match");
            if (uri is not null)
            {
                throw new InvalidFieldException(regexPath, "set either uri or uriRegexRewrite, not both");
            }
        }

        if (uri is null && match is null && authority is null)
        {
            throw new InvalidFieldException(path, "must set uri, uriRegexRewrite or authority");
        }

        if (authority is not null)
        {
            ValidateHeaderValue(authority, path + ".authority");
        }

        return new HttpRewriteSpec(uri, authority, match, substitution);
    }

    private static HttpRetrySpec Retries(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_retryKeys);
        var attempts = YamlFields.OptionalInt(map, "attempts", path, 0, int.MaxValue) ?? 0;
        var perTry = Duration(map, "perTryTimeout", path, allowZero: false);
        var retryOn = NonEmpty(YamlFields.OptionalString(map, "retryOn", path));
        var remote = YamlFields.OptionalBool(map, "retryRemoteLocalities", path);
        var ignorePrevious = YamlFields.OptionalBool(map, "retryIgnorePreviousHosts", path);
        var backoff = Duration(map, "backoff", path, allowZero: false);
        if (attempts == 0 && (perTry is not null || retryOn is not null || remote is not null))
        {
            throw new InvalidFieldException(path + ".attempts", "is 0 (retries disabled) while perTryTimeout, retryOn or retryRemoteLocalities is set");
        }

        foreach (var condition in retryOn?.Split(',') ?? [])
        {
            var word = condition.Trim();
            if (!s_retryOn.Contains(word) && !IsHttpStatusCode(word))
            {
                throw new InvalidFieldException(path + ".retryOn", $"'{YamlFields.Truncate(word)}' is not a retry condition (Envoy's retry-on words such as 5xx, connect-failure, unavailable, or an HTTP status code)");
            }
        }

        return new HttpRetrySpec(attempts, perTry, retryOn, remote, ignorePrevious, backoff);
    }

    /// <summary>The HTTP status codes Go's net/http names, which is what Istio accepts in <c>retryOn</c>.</summary>
    private static bool IsHttpStatusCode(string text) =>
        text.Length == 3 && text.All(char.IsAsciiDigit) && int.Parse(text, CultureInfo.InvariantCulture) is
            (>= 100 and <= 103) or (>= 200 and <= 208) or 226 or (>= 300 and <= 308 and not 306) or (>= 400 and <= 418)
            or (>= 421 and <= 426) or 428 or 429 or 431 or 451 or (>= 500 and <= 508) or 510 or 511;

    private static HttpFaultSpec Fault(YamlMappingNode map, string path, Problems problems)
    {
        YamlFields.OnlyKeys(map, path, s_faultKeys, new Dictionary<string, string>());
        var delayMap = YamlFields.OptionalMap(map, "delay", path);
        var abortMap = YamlFields.OptionalMap(map, "abort", path);
        if (delayMap is null && abortMap is null)
        {
            throw new InvalidFieldException(path, "must have a delay, an abort or both");
        }

        FaultDelaySpec? delay = null;
        problems.Check(() =>
        {
            if (delayMap is null)
            {
                return;
            }

            var delayPath = path + ".delay";
            YamlFields.OnlyKeys(delayMap, delayPath, s_delayKeys, new Dictionary<string, string> { ["exponentialDelay"] = "exponentialDelay is not supported (Istio does not support it either)" });
            var fixedDelay = Duration(delayMap, "fixedDelay", delayPath, allowZero: false)
                ?? throw new InvalidFieldException(delayPath + ".fixedDelay", "is required");
            var percentage = Percentage(delayMap, "percentage", delayPath);
            var percent = YamlFields.OptionalInt(delayMap, "percent", delayPath, 0, 100);
            if (percentage is not null && percent is not null)
            {
                throw new InvalidFieldException(delayPath + ".percent", "set either percentage or the deprecated percent, not both");
            }

            delay = new FaultDelaySpec(fixedDelay, percentage ?? percent ?? 0);
        });

        FaultAbortSpec? abort = null;
        problems.Check(() =>
        {
            if (abortMap is null)
            {
                return;
            }

            var abortPath = path + ".abort";
            YamlFields.OnlyKeys(abortMap, abortPath, s_abortKeys, new Dictionary<string, string> { ["http2Error"] = "http2Error is not supported (Istio does not support it either)" });
            var httpStatus = YamlFields.OptionalInt(abortMap, "httpStatus", abortPath, 200, 599);
            var grpcName = YamlFields.OptionalString(abortMap, "grpcStatus", abortPath);
            int? grpcStatus = null;
            if (grpcName is not null)
            {
                var code = Array.IndexOf(s_grpcCodes, grpcName);
                grpcStatus = code >= 0 ? code
                    : throw new InvalidFieldException(abortPath + ".grpcStatus", $"'{YamlFields.Truncate(grpcName)}' is not a gRPC status name such as UNAVAILABLE or NOT_FOUND");
            }

            if ((httpStatus is null) == (grpcStatus is null))
            {
                throw new InvalidFieldException(abortPath, "must set exactly one of httpStatus and grpcStatus");
            }

            abort = new FaultAbortSpec(httpStatus, grpcStatus, Percentage(abortMap, "percentage", abortPath));
        });

        return new HttpFaultSpec(delay, abort);
    }

    /// <summary><c>mirror</c> with <c>mirrorPercentage</c> (or the deprecated <c>mirrorPercent</c>), and <c>mirrors</c>, as one list.</summary>
    private static List<HttpMirrorSpec>? Mirrors(YamlMappingNode map, string path, string ns, Problems problems)
    {
        var mirrors = new List<HttpMirrorSpec>();
        var percentage = Percentage(map, "mirrorPercentage", path, min: 0);
        var percent = YamlFields.OptionalInt(map, "mirrorPercent", path, 0, 100);
        if (YamlFields.OptionalMap(map, "mirror", path) is { } mirror)
        {
            var (host, port, subset) = Destination(mirror, path + ".mirror", ns);
            mirrors.Add(new HttpMirrorSpec(host, port, subset, percentage ?? percent ?? 100));
        }

        var list = YamlFields.OptionalList(map, "mirrors", path, maxItems: 100);
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            var itemPath = $"{path}.mirrors[{i}]";
            var node = list!.Children[i];
            problems.Check(() =>
            {
                var item = YamlFields.ItemMap(node, itemPath);
                YamlFields.OnlyKeys(item, itemPath, new HashSet<string> { "destination", "percentage" });
                var itemPercentage = Percentage(item, "percentage", itemPath, min: 0);
                var (host, port, subset) = Destination(YamlFields.RequiredMap(item, "destination", itemPath), itemPath + ".destination", ns);
                mirrors.Add(new HttpMirrorSpec(host, port, subset, itemPercentage ?? 100));
            });
        }

        return mirrors.Count == 0 ? null : mirrors;
    }

    private static HeadersSpec Headers(YamlMappingNode map, string path, Problems problems)
    {
        YamlFields.OnlyKeys(map, path, s_headersKeys);
        HeaderOperationsSpec? request = null, response = null;
        problems.Check(() => request = YamlFields.OptionalMap(map, "request", path) is { } m ? HeaderOperations(m, path + ".request", isRequest: true, problems) : null);
        problems.Check(() => response = YamlFields.OptionalMap(map, "response", path) is { } m ? HeaderOperations(m, path + ".response", isRequest: false, problems) : null);
        return new HeadersSpec(request, response);
    }

    /// <summary>
    /// Istio's header operation rules: no pseudo-header and no <c>host</c>, except that a request
    /// may set or add the authority (<c>:authority</c> or <c>host</c>); values are what Envoy's
    /// header formatter accepts.
    /// </summary>
    private static HeaderOperationsSpec HeaderOperations(YamlMappingNode map, string path, bool isRequest, Problems problems)
    {
        YamlFields.OnlyKeys(map, path, s_headerOperationKeys);
        List<HeaderValueSpec> Values(string key)
        {
            var values = new List<HeaderValueSpec>();
            foreach (var (k, v) in YamlFields.OptionalMap(map, key, path)?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
            {
                var name = (k as YamlScalarNode)?.Value ?? string.Empty;
                var itemPath = $"{path}.{key}[{YamlFields.Truncate(name)}]";
                problems.Check(() =>
                {
                    ValidateOperationHeaderName(name, itemPath, allowAuthority: isRequest);
                    var value = v is YamlScalarNode scalar && !YamlFields.IsNull(scalar) ? scalar.Value ?? string.Empty
                        : v is YamlScalarNode ? string.Empty : throw new InvalidFieldException(itemPath, "must be a string");
                    ValidateHeaderValue(value, itemPath);
                    values.Add(new HeaderValueSpec(name, value));
                });
            }

            values.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            return values;
        }

        List<HeaderValueSpec> set = [], add = [];
        problems.Check(() => set = Values("set"));
        problems.Check(() => add = Values("add"));
        var remove = new List<string>();
        var list = YamlFields.OptionalList(map, "remove", path, maxItems: 1000);
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            var itemPath = $"{path}.remove[{i}]";
            var node = list!.Children[i];
            problems.Check(() =>
            {
                var name = YamlFields.ItemString(node, itemPath);
                ValidateOperationHeaderName(name, itemPath, allowAuthority: false);
                remove.Add(name);
            });
        }

        return new HeaderOperationsSpec(set, add, remove);
    }

    private static void ValidateOperationHeaderName(string name, string path, bool allowAuthority)
    {
        if (name.Length == 0)
        {
            throw new InvalidFieldException(path, "a header name must not be empty");
        }

        var isAuthority = IsAuthorityHeader(name);
        if ((name.StartsWith(':') || isAuthority) && !(allowAuthority && isAuthority))
        {
            throw new InvalidFieldException(path, $"'{YamlFields.Truncate(name)}' cannot be changed here (pseudo-headers and host; a request may set or add :authority)");
        }

        if (!name.StartsWith(':') && !IsHttpToken(name))
        {
            throw new InvalidFieldException(path, $"'{YamlFields.Truncate(name)}' is not a valid header name");
        }
    }

    /// <summary>
    /// A header value as Envoy's header formatter reads it: no control characters but tab, and
    /// every <c>%</c> either doubled (<c>%%</c>) or opening a <c>%VARIABLE%</c> or
    /// <c>%VARIABLE(args)%</c> that is closed.
    /// </summary>
    private static void ValidateHeaderValue(string value, string path)
    {
        if (value.Length > 16 * 1024)
        {
            throw new InvalidFieldException(path, "a header value has at most 16384 characters");
        }

        if (value.Any(c => (c < ' ' && c != '\t') || c == '\u007f'))
        {
            throw new InvalidFieldException(path, "a header value must not hold control characters");
        }

        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '%')
            {
                continue;
            }

            if (i + 1 < value.Length && value[i + 1] == '%')
            {
                i++;
                continue;
            }

            // A variable: a name, optionally (arguments), then the closing %.
            var end = i + 1;
            while (end < value.Length && value[end] is not ('%' or '('))
            {
                end++;
            }

            if (end < value.Length && value[end] == '(')
            {
                end = value.IndexOf(")", end, StringComparison.Ordinal);
                end = end < 0 ? value.Length : value.IndexOf('%', end);
                end = end < 0 ? value.Length : end;
            }

            if (end >= value.Length || end == i + 1)
            {
                throw new InvalidFieldException(path, $"'{YamlFields.Truncate(value)}' has a '%' that opens no %VARIABLE%; write %% for a literal percent sign");
            }

            i = end;
        }
    }

    private static CorsPolicySpec Cors(YamlMappingNode map, string path, Problems problems)
    {
        YamlFields.OnlyKeys(map, path, s_corsKeys);
        var origins = new List<StringMatchSpec>();
        foreach (var (value, itemPath) in Strings(map, "allowOrigin", path))
        {
            origins.Add(value.Length == 0 ? throw new InvalidFieldException(itemPath, "an origin must not be empty") : new StringMatchSpec(StringMatchKind.Exact, value));
        }

        var originList = YamlFields.OptionalList(map, "allowOrigins", path, maxItems: 1000);
        for (var i = 0; i < (originList?.Children.Count ?? 0); i++)
        {
            var itemPath = $"{path}.allowOrigins[{i}]";
            var node = originList!.Children[i];
            problems.Check(() =>
            {
                var origin = StringMatch(YamlFields.ItemMap(node, itemPath), itemPath, allowEmptyPrefix: false);
                origins.Add(origin is { Kind: StringMatchKind.Present } or { Value.Length: 0 }
                    ? throw new InvalidFieldException(itemPath, "an origin must set a non-empty exact, prefix or regex")
                    : origin);
            });
        }

        var methods = new List<string>();
        foreach (var (value, itemPath) in Strings(map, "allowMethods", path))
        {
            methods.Add(s_corsMethods.Contains(value) ? value : throw new InvalidFieldException(itemPath, $"'{YamlFields.Truncate(value)}' is not an HTTP method (GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE or *)"));
        }

        List<string> HeaderNames(string key)
        {
            var names = new List<string>();
            foreach (var (value, itemPath) in Strings(map, key, path))
            {
                names.Add(value == "*" || IsHttpToken(value) ? value : throw new InvalidFieldException(itemPath, $"'{YamlFields.Truncate(value)}' is not a valid header name"));
            }

            return names;
        }

        var allowHeaders = HeaderNames("allowHeaders");
        var exposeHeaders = HeaderNames("exposeHeaders");
        var maxAge = Duration(map, "maxAge", path, allowZero: false);
        if (maxAge is { } age && age.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new InvalidFieldException(path + ".maxAge", "is accurate only to whole seconds");
        }

        var credentials = YamlFields.OptionalBool(map, "allowCredentials", path);
        var unmatched = YamlFields.OptionalString(map, "unmatchedPreflights", path) ?? "UNSPECIFIED";
        if (unmatched is not ("UNSPECIFIED" or "FORWARD" or "IGNORE"))
        {
            throw new InvalidFieldException(path + ".unmatchedPreflights", $"must be UNSPECIFIED, FORWARD or IGNORE, not '{YamlFields.Truncate(unmatched)}'");
        }

        return new CorsPolicySpec(origins, methods, allowHeaders, exposeHeaders, maxAge, credentials, unmatched == "IGNORE" ? "IGNORE" : "FORWARD");
    }

    /// <summary>The items of a list of strings, each with its path.</summary>
    private static List<(string Value, string Path)> Strings(YamlMappingNode map, string key, string path)
    {
        var list = YamlFields.OptionalList(map, key, path, maxItems: 1000);
        var values = new List<(string, string)>();
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            var itemPath = $"{YamlFields.Join(path, key)}[{i}]";
            values.Add((YamlFields.ItemString(list!.Children[i], itemPath), itemPath));
        }

        return values;
    }

    /// <summary>
    /// A duration in Go's form (<c>1.5s</c>, <c>300ms</c>) as Istio's ValidateDuration: at least
    /// 1 ms and whole milliseconds; zero only where it means "disabled".
    /// </summary>
    private static TimeSpan? Duration(YamlMappingNode map, string key, string path, bool allowZero)
    {
        var text = YamlFields.OptionalString(map, key, path);
        if (text is null)
        {
            return null;
        }

        if (!GoDuration.TryParse(text, out var duration))
        {
            throw new InvalidFieldException(YamlFields.Join(path, key), $"'{YamlFields.Truncate(text)}' is not a duration such as 1.5s or 300ms");
        }

        if (duration == TimeSpan.Zero && allowZero)
        {
            return duration;
        }

        if (duration < TimeSpan.FromMilliseconds(1) || duration.Ticks % TimeSpan.TicksPerMillisecond != 0)
        {
            throw new InvalidFieldException(YamlFields.Join(path, key), $"'{YamlFields.Truncate(text)}' must be at least 1ms, in whole milliseconds");
        }

        return duration;
    }

    /// <summary>An Istio <c>Percent</c> (<c>{value: 12.5}</c>): 0, or 0.0001 to 100.</summary>
    private static double? Percentage(YamlMappingNode map, string key, string path, double min = 0.0001)
    {
        var percent = YamlFields.OptionalMap(map, key, path);
        if (percent is null)
        {
            return null;
        }

        var percentPath = YamlFields.Join(path, key);
        YamlFields.OnlyKeys(percent, percentPath, new HashSet<string> { "value" });
        var node = YamlFields.Get(percent, "value");
        if (node is null || (node is YamlScalarNode nullScalar && YamlFields.IsNull(nullScalar)))
        {
            return 0;
        }

        if (node is not YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar
            || !double.TryParse(scalar.Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value))
        {
            throw new InvalidFieldException(percentPath + ".value", "must be a number");
        }

        if (value < 0 || value > 100 || (value > 0 && value < min))
        {
            throw new InvalidFieldException(percentPath + ".value", $"must be 0, or between {min.ToString(CultureInfo.InvariantCulture)} and 100, not {value.ToString(CultureInfo.InvariantCulture)}");
        }

        return value;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
