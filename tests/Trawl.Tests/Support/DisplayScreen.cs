using System.Text.RegularExpressions;

namespace Trawl.Tests.Support;

/// <summary>
/// Checks the screen a crawl's live display leaves behind: log lines, each whole, then the final frame once (its title,
/// the figures' table and the breakdown of what failed), then what the caller expects after it (the closing lines).
/// </summary>
public static partial class DisplayScreen
{
    /// <summary>What is wrong with <paramref name="screen"/>; empty when it is clean.</summary>
    /// <param name="screen">The lines, scrolled-off ones first.</param>
    /// <param name="after">Whether a line after the final frame's table is expected there.</param>
    public static List<string> Problems(IReadOnlyList<string> screen, Func<string, bool> after)
    {
        var problems = new List<string>();
        var titles = screen.Select((line, i) => (line, i)).Where(x => Title().IsMatch(x.line)).Select(x => x.i).ToList();
        if (titles.Count != 1)
        {
            problems.Add($"the title is on {titles.Count} lines");
        }

        if (screen.Count(line => line.Contains("│ Pages │", StringComparison.Ordinal)) != 1)
        {
            problems.Add("the figures' header is not on exactly one line");
        }

        if (screen.Count(line => line.Contains('╭')) != 1 || screen.Count(line => line.Contains('╰')) != 1)
        {
            problems.Add("the table's borders are not drawn exactly once");
        }

        var frame = titles.Count > 0 ? titles[^1] : screen.Count;
        problems.AddRange(screen.Take(frame).Where(line => !LogLine().IsMatch(line)).Select(line => $"above the final frame, not a whole log line: '{line}'"));

        var tail = screen.Skip(frame).ToList();
        var expected = new Func<string, bool>[]
        {
            line => Title().IsMatch(line),
            line => line.StartsWith('╭') && line.EndsWith('╮'),
            line => line.StartsWith("│ Pages │", StringComparison.Ordinal) && line.EndsWith('│'),
            line => line.StartsWith('├') && line.EndsWith('┤'),
            line => line.StartsWith('│') && line.EndsWith('│'),
            line => line.StartsWith('╰') && line.EndsWith('╯'),
        };
        for (var i = 0; i < expected.Length; i++)
        {
            if (i >= tail.Count || !expected[i](tail[i]))
            {
                problems.Add($"final frame line {i} is '{(i < tail.Count ? tail[i] : "(missing)")}'");
            }
        }

        problems.AddRange(tail.Skip(expected.Length).Where(line => IsDrawing(line) || !(Breakdown().IsMatch(line) || after(line))).Select(line => $"after the final frame: '{line}'"));
        return problems;
    }

    private static bool IsDrawing(string line) => line.IndexOfAny(['│', '╭', '╰', '├', '─']) >= 0;

    [GeneratedRegex(@"^\s*trawl: \S+$")]
    private static partial Regex Title();

    [GeneratedRegex(@"^\d\d:\d\d:\d\d (trce|dbug|info|warn|fail|crit): [^│╭╰├]+$")]
    private static partial Regex LogLine();

    [GeneratedRegex(@"^[\d,]+ (failed|retry|retries|items failed) ")]
    private static partial Regex Breakdown();
}
