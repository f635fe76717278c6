using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Spiders;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

/// <summary>Tests that take the process's standard error for a while: they run alone, with no other test beside them.</summary>
[CollectionDefinition(nameof(StandardErrorCollection), DisableParallelization = true)]
public sealed class StandardErrorCollection;

/// <summary>
/// A crawl run from code without a logger factory still says what went wrong and how it ended: warnings, errors and
/// the closing summary on standard error, and the spider's log file when it names one.
/// </summary>
[Collection(nameof(StandardErrorCollection))]
public sealed class DefaultLoggingTests
{
    [Fact]
    public async Task ALibraryRunWithoutALogger_ReportsWarningsAndASummary_OnStandardError()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var spider = new QuietSpider(new Uri(server.BaseUrl, "/pages/0"), new Uri(server.BaseUrl, "/trap/status/404"), new Uri(server.BaseUrl, "/pages/1?throw=1"));

        var (result, error) = await CaptureStandardErrorAsync(() => spider.RunAsync(new CrawlOptions { HandleSignals = false }));

        result.Stats.Failed.ShouldBe(2);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.ShouldContain(line => line.StartsWith("warn: Gave up on " + new Uri(server.BaseUrl, "/trap/status/404") + " after 1 attempt: http_404", StringComparison.Ordinal));
        lines.ShouldContain(line => line.StartsWith("fail: Callback ParseAsync failed on ", StringComparison.Ordinal));
        error.ShouldContain("System.InvalidOperationException: the spider broke");
        lines.ShouldContain(line => line.StartsWith("info: Spider quiet finished in ", StringComparison.Ordinal) && line.Contains(": 1 page, 1 item; 2 requests failed.", StringComparison.Ordinal));
        lines.ShouldNotContain(line => line.Contains("Spider quiet started", StringComparison.Ordinal), "information other than the summary stays off the console");
    }

    [Fact]
    public async Task ARunGivenNullLoggerFactory_StaysSilent()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var spider = new QuietSpider(new Uri(server.BaseUrl, "/trap/status/404"));

        var (result, error) = await CaptureStandardErrorAsync(() =>
            new CrawlerBuilder(spider, new CrawlOptions { HandleSignals = false }).UseLoggerFactory(NullLoggerFactory.Instance).Build().RunAsync());

        result.Stats.Failed.ShouldBe(1);
        error.ShouldBeEmpty();
    }

    [Fact]
    public async Task TheSpidersLogFile_GetsTheWholeLog_OutsideTheCommandLine()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        using var temp = new TempDirectory();
        var logFile = temp.File("logs/crawl.log");
        var spider = new QuietSpider(new Uri(server.BaseUrl, "/pages/0"), new Uri(server.BaseUrl, "/trap/status/404")) { File = logFile };

        var (_, error) = await CaptureStandardErrorAsync(() => spider.RunAsync(new CrawlOptions { HandleSignals = false }));

        var log = await File.ReadAllTextAsync(logFile);
        log.ShouldContain(" info Trawl.Crawl.quiet: Spider quiet started (in memory).");
        log.ShouldContain(" warn Trawl.Crawl.quiet: Gave up on ");
        log.ShouldContain(" info Trawl.Crawl.quiet: Spider quiet finished in ");
        error.ShouldContain("warn: Gave up on ");
        error.ShouldNotContain("started");
    }

    [Fact]
    public async Task ASpiderThatAsksForNoLogging_GetsNone()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var spider = new QuietSpider(new Uri(server.BaseUrl, "/trap/status/404")) { Level = LogLevel.None };

        var (_, error) = await CaptureStandardErrorAsync(() => spider.RunAsync(new CrawlOptions { HandleSignals = false }));

        error.ShouldBeEmpty();
    }

    private static async Task<(CrawlResult Result, string Error)> CaptureStandardErrorAsync(Func<Task<CrawlResult>> run)
    {
        var original = Console.Error;
        using var captured = new StringWriter();
        Console.SetError(TextWriter.Synchronized(captured));
        try
        {
            var result = await run();
            return (result, captured.ToString());
        }
        finally
        {
            Console.SetError(original);
        }
    }

    /// <summary>Fetches its start URLs and yields one item each; a URL with <c>throw=1</c> in its query makes the callback throw.</summary>
    private sealed class QuietSpider(params Uri[] urls) : Spider
    {
        public override string Name => "quiet";

        public override IEnumerable<string> StartUrls => urls.Select(static url => url.AbsoluteUri);

        public string? File { get; init; }

        public LogLevel? Level { get; init; }

        public override string? LogFile => File;

        public override LogLevel? LogLevel => Level;

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (response.Url.Query.Contains("throw=1", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("the spider broke");
            }

            yield return new { url = response.Url.AbsoluteUri };
            await Task.CompletedTask;
        }
    }
}
