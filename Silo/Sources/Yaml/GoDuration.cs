using System.Globalization;
using System.Text.RegularExpressions;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>Parses the duration strings Istio resources use (Go's format: <c>1.5s</c>, <c>300ms</c>, <c>1m30s</c>, <c>1h</c>).</summary>
public static partial class GoDuration
{
    /// <summary>The longest duration accepted: ten years, far beyond any timeout.</summary>
    private static readonly decimal s_maxTicks = TimeSpan.FromDays(3650).Ticks;

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
            // More digits than a decimal holds is longer than any timeout anyway.
            if (!decimal.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            decimal ticksPerUnit = match.Groups[2].Value switch
            {
                "h" => TimeSpan.TicksPerHour,
                "m" => TimeSpan.TicksPerMinute,
                "s" => TimeSpan.TicksPerSecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "us" or "µs" => TimeSpan.TicksPerMicrosecond,
                _ => 0.01m,
            };

            // Compared before multiplying, so a huge value is refused rather than overflowing.
            if (value > s_maxTicks / ticksPerUnit)
            {
                return false;
            }

            ticks += value * ticksPerUnit;
            if (ticks > s_maxTicks)
            {
                return false;
            }
        }

        duration = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    // [0-9], not \d: .NET's \d also matches other scripts' digits, which decimal.Parse refuses.
    [GeneratedRegex(@"([0-9]+(?:\.[0-9]+)?)(h|ms|m|s|us|µs|ns)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();
}
