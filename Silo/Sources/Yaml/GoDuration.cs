using System.Globalization;
using System.Text.RegularExpressions;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>Parses the duration strings Istio resources use (Go's format: <c>1.5s</c>, <c>300ms</c>, <c>1m30s</c>, <c>1h</c>).</summary>
public static partial class GoDuration
{
    /// <summary>Parses <paramref name="text"/>; false when it is not a non-negative Go duration.</summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text) || text.Length > 64)
        {
            return false;
        }

        if (text == "0")
        {
            return true;
        }

        var matches = Part().Matches(text);
        if (matches.Count == 0 || matches.Sum(m => m.Length) != text.Length)
        {
            return false;
        }

        decimal ticks = 0;
        foreach (Match match in matches)
        {
            var value = decimal.Parse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            ticks += match.Groups[2].Value switch
            {
                "h" => value * TimeSpan.TicksPerHour,
                "m" => value * TimeSpan.TicksPerMinute,
                "s" => value * TimeSpan.TicksPerSecond,
                "ms" => value * TimeSpan.TicksPerMillisecond,
                "us" or "µs" => value * TimeSpan.TicksPerMicrosecond,
                _ => value / 100m,
            };
            if (ticks > TimeSpan.FromDays(3650).Ticks)
            {
                return false;
            }
        }

        duration = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();
}
