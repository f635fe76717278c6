using System.Globalization;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Tests.Engine;
using Trawl.Tests.Support;
using Xunit.Abstractions;

namespace Trawl.Tests.Politeness;

/// <summary>
/// The tests that measure time: the intervals between requests as the sandbox site saw them. They run alone (no other
/// test runs beside them), so a busy machine does not blur what they measure.
/// </summary>
[CollectionDefinition(nameof(TimingCollection), DisableParallelization = true)]
public sealed class TimingCollection;

[Collection(nameof(TimingCollection))]
public sealed class PolitenessAcceptanceTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly ThreadPoolFloor _threads = new();

    public PolitenessAcceptanceTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _threads.Dispose();

    private static CrawlOptions Options() => new() { HandleSignals = false };

    [Fact]
    public async Task PerDomainDelay_OfDelay200ms_SpacesRequestsAtLeast100ms_WithAMedianOfAtLeast180ms()
    {
        await using var server = await TestSites.StartAsync(pages: 24);
        var options = Options();
        options.DownloadDelay = TimeSpan.FromMilliseconds(200);
        options.Concurrency = 1;
        options.ConcurrencyPerDomain = 1;

        var result = await new SiteSpider(server.BaseUrl).RunAsync(options);

        result.Stats.Pages.ShouldBe(25);
        var log = server.RequestLog();
        log.Count.ShouldBe(25);
        var intervals = RequestIntervals.Of(log);
        Report(intervals);
        intervals.ShouldAllBe(ms => ms >= 100);
        RequestIntervals.Median(intervals).ShouldBeGreaterThanOrEqualTo(180);
    }

    [Fact]
    public async Task RobotsTxt_DisallowedPathsAreNeverRequested_AndItsCrawlDelaySpacesEveryRequest()
    {
        await using var server = await TestSites.StartAsync(pages: 30, configure: site => site.RobotsTxt = "User-agent: *\nDisallow: /pages/1\nCrawl-delay: 0.3\n");
        var options = Options();
        options.RobotsTxt.Obey = true;

        var result = await new SiteSpider(server.BaseUrl).RunAsync(options);

        var log = server.RequestLog();
        log[0].PathAndQuery.ShouldBe("/robots.txt");
        log.Count(r => r.PathAndQuery == "/robots.txt").ShouldBe(1);
        log.ShouldNotContain(r => r.PathAndQuery.StartsWith("/pages/1"));
        result.Stats.SkippedByKind["robots"].ShouldBeGreaterThan(0);
        result.Stats.Pages.ShouldBe(log.Count - 1);

        // Crawl-delay is what the site asked for: a floor, not randomized, so every interval holds it; the 5% allowance
        // is for the few milliseconds by which loopback arrival times wobble around the crawler's own spacing.
        var intervals = RequestIntervals.Of(log);
        Report(intervals);
        intervals.Length.ShouldBeGreaterThanOrEqualTo(10);
        intervals.ShouldAllBe(ms => ms >= 0.95 * 300);
        RequestIntervals.Median(intervals).ShouldBeGreaterThanOrEqualTo(300);
    }

    [Fact]
    public async Task RetryAfter_On429_PausesTheDomain_AndTheRetryComesNoSooner()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var limited = new Uri(server.BaseUrl, "/trap/status/429?retry-after=1").AbsoluteUri;
        var options = Options();
        options.ConcurrencyPerDomain = 1;
        options.Retry.MaxRetries = 1;
        options.Retry.Backoff = TimeSpan.FromMilliseconds(10);

        var result = await new ListSpider(limited, new Uri(server.BaseUrl, "/pages/0").AbsoluteUri).RunAsync(options);

        result.Stats.Retries.ShouldBe(1);
        var log = server.RequestLog();
        var attempts = log.Where(r => r.PathAndQuery.StartsWith("/trap/status/429")).ToList();
        attempts.Count.ShouldBe(2);
        var page = log.Single(r => r.PathAndQuery == "/pages/0");
        var retryAfterMs = Ms(attempts[1].TimestampTicks - attempts[0].TimestampTicks);
        var pageAfterMs = Ms(page.TimestampTicks - attempts[0].TimestampTicks);
        _output.WriteLine($"retry after {retryAfterMs:0.0} ms; the domain's next request after {pageAfterMs:0.0} ms");
        retryAfterMs.ShouldBeGreaterThanOrEqualTo(1000);
        pageAfterMs.ShouldBeGreaterThanOrEqualTo(1000);
    }

    private static double Ms(long ticks) => ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency;

    private void Report(double[] intervals) =>
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"intervals (ms): min {intervals.Min():0.0}, median {RequestIntervals.Median(intervals):0.0}, max {intervals.Max():0.0}: {string.Join(' ', intervals.Select(ms => ms.ToString("0", CultureInfo.InvariantCulture)))}"));
}
