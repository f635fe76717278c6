using System.Globalization;

namespace Trawl.Logging;

/// <summary>
/// How Trawl writes counts and durations for people, in log messages and command-line text: "1 attempt",
/// "2 attempts", "1,024 requests"; "250 ms", "59.9 s", "2 min", "1 min 30 s", "3 h 5 min", "2 d 4 h". One home, so every
/// message says them the same way, and a host that shows Trawl's figures can say them the same way too.
/// </summary>
public static class Wording
{
    /// <summary>
    /// A count with its noun, singular for one and plural otherwise, the number grouped by thousands:
    /// <c>Count(1, "attempt")</c> is "1 attempt", <c>Count(1024, "request")</c> is "1,024 requests".
    /// </summary>
    /// <param name="count">How many.</param>
    /// <param name="one">The noun for one of them.</param>
    /// <param name="many">The noun for any other count; <see langword="null"/> for <paramref name="one"/> with an "s".</param>
    /// <returns>The count and its noun.</returns>
    public static string Count(long count, string one, string? many = null)
    {
        ArgumentNullException.ThrowIfNull(one);
        var noun = count == 1 ? one : many ?? one + "s";
        return count.ToString("N0", CultureInfo.InvariantCulture) + " " + noun;
    }

    /// <summary>
    /// A duration as people say it, to the precision that matters at its size: milliseconds under a second ("250 ms"),
    /// tenths of seconds under a minute ("59.9 s", "2 s"; cut down, never rounded up to the next unit), then minutes and
    /// seconds ("2 min", "1 min 30 s"), hours and minutes ("3 h 5 min"), days and hours ("2 d 4 h"). A negative duration
    /// is "0 s"; <see cref="Timeout.InfiniteTimeSpan"/> and <see cref="TimeSpan.MaxValue"/> are "for ever".
    /// </summary>
    /// <param name="duration">The duration.</param>
    /// <returns>The duration in words.</returns>
    public static string Duration(TimeSpan duration)
    {
        if (duration == Timeout.InfiniteTimeSpan || duration == TimeSpan.MaxValue)
        {
            return "for ever";
        }

        if (duration <= TimeSpan.Zero)
        {
            return "0 s";
        }

        if (duration < TimeSpan.FromSeconds(1))
        {
            // Whole milliseconds, but never "0 ms" for a duration that is not zero.
            return Invariant($"{Math.Max(1, (long)duration.TotalMilliseconds)} ms");
        }

        if (duration < TimeSpan.FromMinutes(1))
        {
            var tenths = duration.Ticks / (TimeSpan.TicksPerSecond / 10);
            return tenths % 10 == 0 ? Invariant($"{tenths / 10} s") : Invariant($"{tenths / 10}.{tenths % 10} s");
        }

        if (duration < TimeSpan.FromHours(1))
        {
            return Pair((long)duration.TotalMinutes, "min", duration.Seconds, "s");
        }

        if (duration < TimeSpan.FromDays(1))
        {
            return Pair((long)duration.TotalHours, "h", duration.Minutes, "min");
        }

        return Pair((long)duration.TotalDays, "d", duration.Hours, "h");
    }

    private static string Pair(long major, string majorUnit, int minor, string minorUnit) =>
        minor == 0 ? Invariant($"{major} {majorUnit}") : Invariant($"{major} {majorUnit} {minor} {minorUnit}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
