using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Spectre.Console.Testing;
using Trawl.Cli.Hosting;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Sandbox;
using Trawl.Spiders.Declarative;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>
/// The live display on Spectre.Console's testing console, its output played onto a 120×30 terminal: warnings logged
/// while it runs are written whole above it, and when the crawl is over the screen holds them and the final frame once.
/// </summary>
public sealed partial class LiveDisplayTests
{
    private const int Width = 120;
    private const int Height = 30;
    private const string Title = "trawl: display";

    [Fact]
    public async Task ACrawlWithWarnings_UnderTheLiveDisplay_LeavesACleanScreen_AndItsBreakdownAddsUp()
    {
        await using var site = await TestSites.StartAsync(pages: 120);
        using var temp = new TempDirectory();
        var logFile = temp.File("crawl.log");
        string[] broken = [.. Enumerable.Range(1, 6).Select(i => Url(site, $"/trap/status/404?n={i}")), Url(site, "/trap/status/503?n=1"), Url(site, "/trap/status/503?n=2")];
        string[] flaky = [Url(site, "/trap/flaky/a?fail=1"), Url(site, "/trap/flaky/b?fail=1"), Url(site, "/trap/flaky/c?fail=1")];
        var spider = new DeclarativeSpider(new DeclarativeSpiderDefinition { Name = "display", Start = [site.BaseUrl.AbsoluteUri, .. broken, .. flaky], Allow = ["/pages/\\d+$"] });
        var options = new CrawlOptions { HandleSignals = false, Concurrency = 4, ProgressInterval = TimeSpan.FromMilliseconds(50) };
        options.Retry.Backoff = TimeSpan.FromMilliseconds(20);
        using var console = new TestConsole().Width(Width).Height(Height).EmitAnsiSequences();
        CrawlResult result;
        using (var display = new DisplayLoggerProvider(console.Profile.Out.Writer, TimeProvider.System))
        using (var loggers = CliLogging.Create(LogLevel.Information, LogLevel.Warning, logFile, display))
        {
            result = await ProgressDisplay.RunLiveAsync(console, Title, display, progress =>
                new CrawlerBuilder(spider, options).UseLoggerFactory(loggers).ReportProgress(progress).Build().RunAsync());
        }

        var stats = result.Stats;
        stats.Failed.ShouldBe(broken.Length);
        stats.Retries.ShouldBe(flaky.Length + 2 * 2, "each flaky page once, each 503 twice");
        var screen = TerminalScreen.Play(console.Output, Width, Height).Transcript;
        DisplayScreen.Problems(screen, after: _ => false).ShouldBeEmpty(string.Join('\n', screen));

        // Every failure's warning is on the screen, whole, once; the log file has them too, with the retries' messages.
        var warnings = screen.Where(line => line.Contains(" warn: ", StringComparison.Ordinal)).ToList();
        warnings.Count.ShouldBe(broken.Length, string.Join('\n', screen));
        warnings.ShouldAllBe(line => line.Contains("HTTP 404", StringComparison.Ordinal) || line.Contains("HTTP 503", StringComparison.Ordinal));
        screen.ShouldNotContain(line => line.Contains(" info: ", StringComparison.Ordinal), "the console shows warnings and worse");
        var logged = File.ReadAllLines(logFile);
        logged.Count(line => line.Contains(" warn ", StringComparison.Ordinal)).ShouldBe(broken.Length);
        logged.Count(line => line.Contains(" info ", StringComparison.Ordinal)).ShouldBeGreaterThan((int)stats.Retries, "the file has every message, a retry's too");

        // The final frame shows the crawl's own figures, and its breakdown adds up to them.
        var figures = FiguresRow().Match(string.Join('\n', screen));
        figures.Success.ShouldBeTrue(string.Join('\n', screen));
        Number(figures.Groups["pages"].Value).ShouldBe(stats.Pages);
        Number(figures.Groups["failed"].Value).ShouldBe(stats.Failed);
        Number(figures.Groups["retries"].Value).ShouldBe(stats.Retries);
        var breakdown = screen[^1];
        AddsUp(breakdown, "failed").ShouldBe(stats.Failed);
        AddsUp(breakdown, "retries").ShouldBe(stats.Retries);
        breakdown.ShouldContain("failed (http_404 6, http_503 2)");
        breakdown.ShouldContain("7 retries (http_503 7)");
    }

    [Fact]
    public void TheScreenCheck_CatchesALogLineWrittenPastTheDisplay_AsTheConsoleLoggerDid()
    {
        using var console = new TestConsole().Width(Width).Height(Height).EmitAnsiSequences();
        var before = Progress(pages: 10, failed: 0);
        var after = Progress(pages: 20, failed: 1);

        console.Live(ProgressView.Live(Title, before, Height, Width)).AutoClear(true).Start(context =>
        {
            context.Refresh();
            console.Profile.Out.Writer.WriteLine("12:00:00 warn: Gave up on http://127.0.0.1/trap/status/404 after 1 attempt: http_404: HTTP 404");
            context.UpdateTarget(ProgressView.Live(Title, after, Height, Width));
        });
        console.Write(ProgressView.Final(Title, after, Width));

        DisplayScreen.Problems(TerminalScreen.Play(console.Output, Width, Height).Transcript, after: _ => false).ShouldNotBeEmpty();
    }

    [Fact]
    public void TheLiveFrame_ShowsTheBusiestDomains_AsManyAsTheTerminalHolds()
    {
        var domains = Enumerable.Range(1, CrawlProgress.MaxDomains).Select(i => new DomainProgress
        {
            Domain = $"site{i}.example",
            RequestsPerSecond = 20 - i,
            InFlight = 2,
            Queued = 100 * i,
            Delay = TimeSpan.FromMilliseconds(250 * i),
            Requests = 1000,
            Errors = i,
        }).ToList();
        var progress = Progress(pages: 5, failed: 0, domains);

        var tall = Render(ProgressView.Live(Title, progress, height: 40, Width), Width);
        var small = Render(ProgressView.Live(Title, progress, height: 18, Width), Width);

        tall.Count(line => line.Contains(".example", StringComparison.Ordinal)).ShouldBe(CrawlProgress.MaxDomains);
        tall.ShouldContain(line => line.Contains("site1.example", StringComparison.Ordinal) && line.Contains("250ms", StringComparison.Ordinal));
        tall.ShouldContain(line => line.Contains("site10.example", StringComparison.Ordinal) && line.Contains("2.5s", StringComparison.Ordinal));
        small.Count(line => line.Contains(".example", StringComparison.Ordinal)).ShouldBe(3);
        small.Count.ShouldBeLessThan(18);
        Render(ProgressView.Live(Title, progress, height: 10, Width), Width).ShouldNotContain(line => line.Contains("Busiest", StringComparison.Ordinal));
    }

    [Fact]
    public void OnAnEightyColumnTerminal_TheFiguresTakeTwoRows_WithNoLabelCut()
    {
        var progress = Progress(pages: 1_234_567, failed: 12, [.. Enumerable.Range(1, 3).Select(i => new DomainProgress
        {
            Domain = $"docs{i}.example.com",
            RequestsPerSecond = 12.5,
            InFlight = 8,
            Queued = 2048,
            Delay = TimeSpan.FromSeconds(1),
            Requests = 100_000,
            Errors = 14,
        })]);

        var lines = Render(ProgressView.Live(Title, progress, height: 24, width: 80), 80);

        lines.ShouldAllBe(line => line.Length <= 80);
        lines.ShouldNotContain(line => line.Contains('…'));
        foreach (var label in new[] { "Pages", "Items", "Pages/s", "Received", "Queued", "In flight", "Failed", "Retries", "Elapsed", "ETA" })
        {
            lines.ShouldContain(line => line.Contains(label, StringComparison.Ordinal), label);
        }

        lines.ShouldContain(line => line.Contains("1,234,567", StringComparison.Ordinal));
        lines.Count(line => line.Contains(".example.com", StringComparison.Ordinal)).ShouldBe(3);
        lines.Count.ShouldBeLessThanOrEqualTo(23);
    }

    [Theory]
    [InlineData(0, "0 B/s")]
    [InlineData(999, "999 B/s")]
    [InlineData(1_240, "1.2 KB/s")]
    [InlineData(3_400_000, "3.4 MB/s")]
    public void BytesPerSecond_ReadsInTheLargestUnitBelowTheValue(double bytes, string expected) =>
        ProgressView.BytesPerSecond(bytes).ShouldBe(expected);

    [Theory]
    [InlineData(42, "42s")]
    [InlineData(151, "2:31")]
    [InlineData(3723, "1:02:03")]
    [InlineData(90000, "25:00:00")]
    public void Duration_ReadsAsAClock(int seconds, string expected) =>
        ProgressView.Duration(TimeSpan.FromSeconds(seconds)).ShouldBe(expected);

    // "15 failed (http_404 12, http_503 3)": the number, after checking that the kinds add up to it.
    private static long AddsUp(string breakdown, string what)
    {
        var match = Regex.Match(breakdown, $@"(?<total>[\d,]+) {what} \((?<kinds>[^)]*)\)");
        match.Success.ShouldBeTrue($"'{what}' in '{breakdown}'");
        var total = Number(match.Groups["total"].Value);
        match.Groups["kinds"].Value.Split(", ").Sum(kind => Number(kind[(kind.LastIndexOf(' ') + 1)..])).ShouldBe(total, breakdown);
        return total;
    }

    private static long Number(string text) => long.Parse(text.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    private static List<string> Render(Spectre.Console.Rendering.IRenderable renderable, int width)
    {
        using var console = new TestConsole().Width(width);
        console.Write(renderable);
        return [.. console.Lines];
    }

    private static CrawlProgress Progress(long pages, long failed, IReadOnlyList<DomainProgress>? domains = null) => new()
    {
        Stats = new CrawlStats
        {
            Pages = pages,
            Items = pages,
            Failed = failed,
            FailedByKind = failed == 0 ? new Dictionary<string, long>() : new Dictionary<string, long> { ["http_404"] = failed },
            ErrorsByKind = failed == 0 ? new Dictionary<string, long>() : new Dictionary<string, long> { ["http_404"] = failed },
            Elapsed = TimeSpan.FromSeconds(pages),
        },
        Queued = 100,
        InFlight = 2,
        CurrentPagesPerSecond = 1,
        Stopping = false,
        Domains = domains ?? [],
    };

    private static string Url(SandboxServer site, string path) => new Uri(site.BaseUrl, path).AbsoluteUri;

    [GeneratedRegex(@"│\s*(?<pages>[\d,]+) │\s*[\d,]+ │\s*[\d,]+ │[^│]+│\s*[\d,]+ │\s*[\d,]+ │\s*(?<failed>[\d,]+) │\s*(?<retries>[\d,]+) │")]
    private static partial Regex FiguresRow();
}
