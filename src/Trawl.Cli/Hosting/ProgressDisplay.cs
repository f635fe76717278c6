using System.Globalization;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Trawl.Engine;

namespace Trawl.Cli.Hosting;

/// <summary>
/// Shows a running crawl: a live table on a terminal, or a plain log line every few seconds when output is redirected.
/// </summary>
internal static class ProgressDisplay
{
    private static readonly TimeSpan PlainEvery = TimeSpan.FromSeconds(5);

    /// <summary>Whether standard error is a terminal, so a live display can be drawn.</summary>
    public static bool IsInteractive => !Console.IsErrorRedirected && !string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal);

    /// <summary>Runs <paramref name="crawl"/> with a progress reporter suited to the console.</summary>
    public static async Task<CrawlResult> RunAsync(string title, ILogger logger, bool live, Func<IProgress<CrawlProgress>, Task<CrawlResult>> crawl)
    {
        if (!live)
        {
            return await crawl(new PlainReporter(logger, TimeProvider.System)).ConfigureAwait(false);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        CrawlResult? result = null;
        await console.Live(Render(title, null)).AutoClear(false).StartAsync(async context =>
        {
            var reporter = new LiveReporter(progress =>
            {
                context.UpdateTarget(Render(title, progress));
                context.Refresh();
            });
            result = await crawl(reporter).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return result!;
    }

    private static Table Render(string title, CrawlProgress? progress)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title));
        foreach (var column in new[] { "Pages", "Items", "Pages/s", "Queued", "In flight", "Errors", "Elapsed" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        if (progress is null)
        {
            table.AddRow("0", "0", "-", "-", "-", "0", "0s");
            return table;
        }

        var stats = progress.Stats;
        table.AddRow(
            N(stats.Pages),
            N(stats.Items),
            progress.CurrentPagesPerSecond.ToString("N0", CultureInfo.InvariantCulture),
            N(progress.Queued),
            N(progress.InFlight),
            Errors(stats),
            Elapsed(stats.Elapsed));
        if (progress.Stopping)
        {
            table.Caption("[yellow]stopping: finishing in-flight requests (Ctrl+C again to stop at once)[/]");
        }

        return table;
    }

    private static string Errors(CrawlStats stats)
    {
        var total = stats.ErrorsByKind.Values.Sum();
        return total == 0 ? "0" : $"[red]{N(total)}[/]";
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Elapsed(TimeSpan elapsed) =>
        elapsed.TotalHours >= 1 ? elapsed.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : elapsed.TotalMinutes >= 1 ? elapsed.ToString(@"m\:ss", CultureInfo.InvariantCulture) : $"{elapsed.TotalSeconds:0}s";

    private sealed class LiveReporter(Action<CrawlProgress> update) : IProgress<CrawlProgress>
    {
        public void Report(CrawlProgress value) => update(value);
    }

    private sealed class PlainReporter(ILogger logger, TimeProvider time) : IProgress<CrawlProgress>
    {
        private long _last = time.GetTimestamp();

        public void Report(CrawlProgress value)
        {
            if (value.Stopping && value.InFlight == 0)
            {
                return;
            }

            var now = time.GetTimestamp();
            if (time.GetElapsedTime(Interlocked.Read(ref _last), now) < PlainEvery)
            {
                return;
            }

            Interlocked.Exchange(ref _last, now);
            Log.Progress(logger, value.Stats.Pages, value.Stats.Items, value.CurrentPagesPerSecond, value.Queued, value.InFlight, value.Stats.ErrorsByKind.Values.Sum());
        }
    }
}
