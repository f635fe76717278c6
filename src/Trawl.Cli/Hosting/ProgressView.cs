using System.Globalization;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Spectre.Console.Rendering;
using Trawl.Engine;

namespace Trawl.Cli.Hosting;

/// <summary>
/// What the live display draws: the crawl's figures, its busiest domains, what failed, and the log lines written above
/// them. Pure functions of a progress report, so each frame can be tested as it is.
/// </summary>
internal static class ProgressView
{
    /// <summary>The narrowest console the figures fit on in one row; on a narrower one they take two.</summary>
    public const int WideLayout = 100;

    // Lines a frame needs besides the figures' table and the domains' rows: the figures' caption (1), the breakdown (up
    // to 2), the domains' title, borders and header (5), and the line the cursor rests on (1).
    private const int OtherLines = 9;

    /// <summary>
    /// The frame while the crawl runs, at most <paramref name="height"/> lines of <paramref name="width"/> (domains are
    /// left out to fit).
    /// </summary>
    public static IRenderable Live(string title, CrawlProgress? progress, int height, int width)
    {
        var figures = Figures(title, progress, final: false, width);
        var parts = new List<IRenderable> { figures };
        var rows = Math.Min(progress?.Domains.Count ?? 0, height - OtherLines - FiguresHeight(width));
        if (rows > 0)
        {
            parts.Add(Domains(progress!.Domains.Take(rows)));
        }

        if (progress is not null && Breakdown(progress.Stats) is { } breakdown)
        {
            parts.Add(breakdown);
        }

        return new Rows(parts);
    }

    /// <summary>The frame left on the screen when the crawl is over: the final figures, and what failed.</summary>
    public static IRenderable Final(string title, CrawlProgress? progress, int width)
    {
        var parts = new List<IRenderable> { Figures(title, progress, final: true, width) };
        if (progress is not null && Breakdown(progress.Stats) is { } breakdown)
        {
            parts.Add(breakdown);
        }

        return new Rows(parts);
    }

    /// <summary>Log lines to write above the display, each as wide as the console so it covers what was drawn there.</summary>
    public static IRenderable Lines(IReadOnlyList<LogLine> lines) => new FullWidthLines(lines);

    /// <summary>A byte rate: <c>512 B/s</c>, <c>1.2 MB/s</c>.</summary>
    public static string BytesPerSecond(double bytes)
    {
        string[] units = ["B/s", "KB/s", "MB/s", "GB/s"];
        var unit = 0;
        while (bytes >= 1000 && unit < units.Length - 1)
        {
            bytes /= 1000;
            unit++;
        }

        return bytes.ToString(unit == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    /// <summary>A duration: <c>45s</c>, <c>2:31</c>, <c>1:02:03</c>.</summary>
    public static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}:{span:mm\\:ss}")
        : span.TotalMinutes >= 1 ? span.ToString(@"m\:ss", CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, span.TotalSeconds):0}s");

    /// <summary>A domain's delay: <c>0</c>, <c>250ms</c>, <c>1.5s</c>.</summary>
    public static string Delay(TimeSpan delay) =>
        delay <= TimeSpan.Zero ? "0"
        : delay < TimeSpan.FromSeconds(1) ? string.Create(CultureInfo.InvariantCulture, $"{delay.TotalMilliseconds:0}ms")
        : string.Create(CultureInfo.InvariantCulture, $"{delay.TotalSeconds:0.#}s");

    // Title, borders, header and values: 6 lines in one row, 8 in two (a second row of labels, and its values).
    private static int FiguresHeight(int width) => width >= WideLayout ? 6 : 8;

    private static Table Figures(string title, CrawlProgress? progress, bool final, int width)
    {
        (string Label, string Value)[] cells =
        [
            ("Pages", N(progress?.Stats.Pages ?? 0)),
            ("Items", N(progress?.Stats.Items ?? 0)),
            ("Pages/s", progress is null ? "-" : progress.CurrentPagesPerSecond.ToString("N0", CultureInfo.InvariantCulture)),
            ("Received", progress is null ? "-" : BytesPerSecond(progress.CurrentBytesPerSecond)),
            ("Queued", progress is null ? "-" : N(progress.Queued)),
            ("In flight", progress is null ? "-" : N(progress.InFlight)),
            ("Failed", progress?.Stats.Failed is > 0 and var failed ? $"[red]{N(failed)}[/]" : "0"),
            ("Retries", progress?.Stats.Retries is > 0 and var retries ? $"[yellow]{N(retries)}[/]" : "0"),
            ("Elapsed", Duration(progress?.Stats.Elapsed ?? TimeSpan.Zero)),
            ("ETA", !final && progress?.EstimatedTimeLeft is { } left ? Duration(left) : "-"),
        ];
        var perRow = width >= WideLayout ? cells.Length : cells.Length / 2;
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title));
        foreach (var (label, _) in cells.Take(perRow))
        {
            table.AddColumn(new TableColumn(label).RightAligned());
        }

        table.AddRow(cells.Take(perRow).Select(cell => cell.Value).ToArray());
        if (perRow < cells.Length)
        {
            table.AddRow(cells.Skip(perRow).Select(cell => $"[bold]{Markup.Escape(cell.Label)}[/]").ToArray());
            table.AddRow(cells.Skip(perRow).Select(cell => cell.Value).ToArray());
        }

        if (progress is { Stopping: true } && !final)
        {
            table.Caption("[yellow]stopping: finishing in-flight requests (Ctrl+C again to stop at once)[/]");
        }

        return table;
    }

    private static Table Domains(IEnumerable<DomainProgress> domains)
    {
        var table = new Table().Border(TableBorder.Simple).Title("Busiest domains");
        table.AddColumn(new TableColumn("Domain"));
        foreach (var column in new[] { "Requests/s", "In flight", "Queued", "Delay", "Errors" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (var domain in domains)
        {
            table.AddRow(
                Markup.Escape(domain.Domain),
                domain.RequestsPerSecond.ToString(domain.RequestsPerSecond < 10 ? "0.#" : "N0", CultureInfo.InvariantCulture),
                N(domain.InFlight),
                N(domain.Queued),
                Delay(domain.Delay),
                domain.Errors == 0 ? "0" : $"[red]{N(domain.Errors)}[/]");
        }

        return table;
    }

    // What failed, when anything did: failed requests by kind, retries by kind, failed items, other errors.
    private static Markup? Breakdown(CrawlStats stats)
    {
        var parts = FailureBreakdown.Parts(stats);
        if (stats.Failed == 0)
        {
            parts.RemoveAt(0);
        }

        if (stats.Rendered > 0)
        {
            // A crawl that renders: how its pages were fetched (auto mode fetches some both ways, so they add up to more).
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{N(stats.FetchedPlain)} fetched plainly, {N(stats.Rendered)} rendered"));
        }

        return parts.Count == 0 ? null : new Markup(Markup.Escape(string.Join("; ", parts)), new Style(Color.Grey));
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>
    /// Lines padded with spaces to the console's width. Written above a live display, a line starts where the display's
    /// top used to be: a shorter one would leave the rest of that row of the table on the screen.
    /// </summary>
    private sealed class FullWidthLines(IReadOnlyList<LogLine> lines) : Renderable
    {
        protected override IEnumerable<Segment> Render(RenderOptions options, int maxWidth)
        {
            foreach (var line in lines)
            {
                var style = line.Level switch
                {
                    >= LogLevel.Error => new Style(Color.Red),
                    LogLevel.Warning => new Style(Color.Yellow),
                    _ => Style.Plain,
                };
                foreach (var row in Segment.SplitLines(((IRenderable)new Text(line.Text, style)).Render(options, maxWidth)))
                {
                    foreach (var segment in row)
                    {
                        yield return segment;
                    }

                    var width = row.CellCount();
                    if (width < maxWidth)
                    {
                        yield return Segment.Padding(maxWidth - width);
                    }

                    yield return Segment.LineBreak;
                }
            }
        }
    }
}
