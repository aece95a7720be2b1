using System.Globalization;

namespace Mesh.Orleans.Silo.Debug;

/// <summary>
/// The query parameters the registry debug endpoints share, checked: a bad one answers 400 with
/// the reason (never echoing more than a few characters of what was sent) before any grain is asked.
/// </summary>
internal static class DebugQuery
{
    /// <summary>The rows (and objects read per member cluster) an answer holds when <c>limit</c> is not given.</summary>
    public const int DefaultLimit = 10_000;

    /// <summary>The largest <c>limit</c> accepted.</summary>
    public const int MaxLimit = 100_000;

    /// <summary>The longest <c>hostname</c> accepted: a DNS name's limit.</summary>
    public const int MaxHostnameLength = 253;

    /// <summary>Reads <c>?limit=</c> (default <see cref="DefaultLimit"/>); null with a 400 in <paramref name="error"/> when it is not a whole number from 1 to <see cref="MaxLimit"/>.</summary>
    public static int? Limit(HttpRequest request, out IResult? error)
    {
        error = null;
        if (!request.Query.TryGetValue("limit", out var values))
        {
            return DefaultLimit;
        }

        if (values.Count == 1
            && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var limit)
            && limit is >= 1 and <= MaxLimit)
        {
            return limit;
        }

        error = BadRequest($"limit must be one whole number from 1 to {MaxLimit.ToString(CultureInfo.InvariantCulture)} (got '{Clip(values.ToString())}')");
        return null;
    }

    /// <summary>Reads <c>?hostname=</c>, or null when absent; a 400 in <paramref name="error"/> when it is empty, repeated or longer than a DNS name.</summary>
    public static string? Hostname(HttpRequest request, out IResult? error)
    {
        error = null;
        if (!request.Query.TryGetValue("hostname", out var values))
        {
            return null;
        }

        var hostname = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrEmpty(hostname))
        {
            error = BadRequest("hostname must be given once, not empty");
            return null;
        }

        if (hostname.Length > MaxHostnameLength)
        {
            error = BadRequest($"hostname is {hostname.Length.ToString(CultureInfo.InvariantCulture)} characters long; a hostname has at most {MaxHostnameLength.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        return hostname;
    }

    private static IResult BadRequest(string reason) => Results.Text(reason + "\n", "text/plain", statusCode: StatusCodes.Status400BadRequest);

    private static string Clip(string value) => value.Length <= 40 ? value : value[..40] + "...";
}
