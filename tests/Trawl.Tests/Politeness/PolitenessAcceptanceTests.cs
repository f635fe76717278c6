using System.Globalization;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Spiders;
using Trawl.Tests.Engine;
using Trawl.Tests.Support;
using Xunit.Abstractions;

namespace Trawl.Tests.Politeness;

/// <summary>
/// Tests that measure arrival times at a site across processes, which a busy machine blurs: they run alone, with no
/// other test beside them.
/// </summary>
[CollectionDefinition(nameof(TimingCollection), DisableParallelization = true)]
public sealed class TimingCollection;

/// <summary>
/// Politeness end to end: the spacing of a domain's requests, measured where the crawler guarantees it, as each request
/// leaves for the downloader (<see cref="RequestStartTimes"/>); and what the site was sent, from its request log.
/// </summary>
public sealed class PolitenessAcceptanceTests(ITestOutputHelper output)
{
    // The crawler's delays run on the system clock and these intervals on the stopwatch: a millisecond covers the two.
    private const double Clocks = 1;

    private static CrawlOptions Options() => new() { HandleSignals = false };

    // Runs the spider with the middleware that records when each request leaves for the downloader.
    private static Task<CrawlResult> RunAsync(Spider spider, CrawlOptions options, RequestStartTimes starts) =>
        new CrawlerBuilder(spider, options).AddMiddleware(starts).Build().RunAsync();

    [Fact]
    public async Task PerDomainDelay_OfDelay200ms_SpacesRequestsAtLeast100ms_WithAMedianOfAtLeast180ms()
    {
        await using var server = await TestSites.StartAsync(pages: 24);
        var starts = new RequestStartTimes();
        var options = Options();
        options.DownloadDelay = TimeSpan.FromMilliseconds(200);
        options.Concurrency = 1;
        options.ConcurrencyPerDomain = 1;

        var result = await RunAsync(new SiteSpider(server.BaseUrl), options, starts);

        result.Stats.Pages.ShouldBe(25);
        server.RequestLog().Count.ShouldBe(25);
        var intervals = RequestIntervals.Of(starts.Starts.Select(s => s.Timestamp));
        Report(intervals);
        intervals.Length.ShouldBe(24);

        // Each gap is the delay times a factor in [0.5, 1.5), drawn in pairs that average 1: every gap is at least
        // 100 ms and their median is 200 ms.
        intervals.ShouldAllBe(ms => ms >= 100 - Clocks);
        RequestIntervals.Median(intervals).ShouldBeGreaterThanOrEqualTo(180);
    }

    [Fact]
    public async Task RobotsTxt_DisallowedPathsAreNeverRequested_AndItsCrawlDelaySpacesEveryRequest()
    {
        await using var server = await TestSites.StartAsync(pages: 30, configure: site => site.RobotsTxt = "User-agent: *\nDisallow: /pages/1\nCrawl-delay: 0.3\n");
        var starts = new RequestStartTimes();
        var options = Options();
        options.RobotsTxt.Obey = true;

        // One request at a time, so that each one begins before the next is timed from it (see RequestStartTimes).
        options.ConcurrencyPerDomain = 1;

        var result = await RunAsync(new SiteSpider(server.BaseUrl), options, starts);

        var log = server.RequestLog();
        log[0].PathAndQuery.ShouldBe("/robots.txt");
        log.Count(r => r.PathAndQuery == "/robots.txt").ShouldBe(1);
        log.ShouldNotContain(r => r.PathAndQuery.StartsWith("/pages/1"));
        result.Stats.SkippedByKind["robots"].ShouldBeGreaterThan(0);
        result.Stats.Pages.ShouldBe(log.Count - 1);
        starts.Starts.Count.ShouldBe(log.Count - 1, "every page; robots.txt goes around the middleware");

        // Crawl-delay is what the site asked for: a floor, not randomized, so every interval holds it.
        var intervals = RequestIntervals.Of(starts.Starts.Select(s => s.Timestamp));
        Report(intervals);
        intervals.Length.ShouldBeGreaterThanOrEqualTo(10);
        intervals.ShouldAllBe(ms => ms >= 300 - Clocks);
    }

    [Fact]
    public async Task RetryAfter_On429_PausesTheDomain_AndTheRetryComesNoSooner()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var limited = new Uri(server.BaseUrl, "/trap/status/429?retry-after=1").AbsoluteUri;
        var starts = new RequestStartTimes();
        var options = Options();
        options.ConcurrencyPerDomain = 1;
        options.Retry.MaxRetries = 1;
        options.Retry.Backoff = TimeSpan.FromMilliseconds(10);

        var result = await RunAsync(new ListSpider(limited, new Uri(server.BaseUrl, "/pages/0").AbsoluteUri), options, starts);

        result.Stats.Retries.ShouldBe(1);
        server.RequestLog().Count(r => r.PathAndQuery.StartsWith("/trap/status/429")).ShouldBe(2);
        server.FetchCount("/pages/0").ShouldBe(1);
        var attempts = starts.Starts.Where(s => s.PathAndQuery.StartsWith("/trap/status/429")).Select(s => s.Timestamp).ToList();
        attempts.Count.ShouldBe(2);
        var page = starts.Starts.Single(s => s.PathAndQuery == "/pages/0").Timestamp;

        // The pause is counted from the 429's answer, which comes after its request began.
        var retryAfterMs = Ms(attempts[1] - attempts[0]);
        var pageAfterMs = Ms(page - attempts[0]);
        output.WriteLine($"retry after {retryAfterMs:0.0} ms; the domain's next request after {pageAfterMs:0.0} ms");
        retryAfterMs.ShouldBeGreaterThanOrEqualTo(1000 - Clocks);
        pageAfterMs.ShouldBeGreaterThanOrEqualTo(1000 - Clocks);
    }

    private static double Ms(long ticks) => ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency;

    private void Report(double[] intervals) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"intervals (ms): min {intervals.Min():0.0}, median {RequestIntervals.Median(intervals):0.0}, max {intervals.Max():0.0}: {string.Join(' ', intervals.Select(ms => ms.ToString("0", CultureInfo.InvariantCulture)))}"));
}
