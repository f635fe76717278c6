using System.Globalization;

namespace Trawl.Cli.Commands;

/// <summary>Durations on the command line: <c>90</c> (seconds), <c>90s</c>, <c>30m</c>, <c>12h</c>, <c>7d</c>, <c>2w</c>, or a sum such as <c>1h30m</c>.</summary>
internal static class Durations
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var rest = text.Trim().AsSpan();
        if (rest.IsEmpty)
        {
            return false;
        }

        if (double.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare))
        {
            return TryAdd(ref duration, bare, 1);
        }

        while (!rest.IsEmpty)
        {
            var digits = 0;
            while (digits < rest.Length && (char.IsAsciiDigit(rest[digits]) || rest[digits] == '.'))
            {
                digits++;
            }

            var unit = digits;
            while (unit < rest.Length && char.IsAsciiLetter(rest[unit]))
            {
                unit++;
            }

            if (digits == 0 || unit == digits || !double.TryParse(rest[..digits], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            double seconds = rest[digits..unit] switch
            {
                "ms" => 0.001,
                "s" => 1,
                "m" or "min" => 60,
                "h" => 3600,
                "d" => 86_400,
                "w" => 7 * 86_400,
                _ => double.NaN,
            };
            if (double.IsNaN(seconds) || !TryAdd(ref duration, value, seconds))
            {
                return false;
            }

            rest = rest[unit..];
        }

        return true;
    }

    private static bool TryAdd(ref TimeSpan duration, double value, double unitSeconds)
    {
        var seconds = value * unitSeconds;
        if (!double.IsFinite(seconds) || seconds < 0 || seconds > 3650 * 86_400.0)
        {
            return false;
        }

        duration += TimeSpan.FromSeconds(seconds);
        return true;
    }
}
