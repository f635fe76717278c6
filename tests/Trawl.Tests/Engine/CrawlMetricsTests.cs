using Trawl.Cli.Hosting;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Sandbox;
using Trawl.Spiders.Declarative;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

/// <summary>
/// The Trawl meter agrees with the crawl's own stats. Other tests crawl in this process at the same time, so each
/// test reads only the series of its own spider (a unique name).
/// </summary>
public sealed class CrawlMetricsTests
{
    [Fact]
    public async Task Metrics_MatchTheCrawlStats_PagesItemsFailuresRetriesSkipsAndDownloads()
    {
        await using var site = await TestSites.StartAsync(pages: 40, configure: o => o.RobotsTxt = "User-agent: *\nDisallow: /pages/7\n");
        using var collector = new MetricsCollector();
        var name = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var spider = new DeclarativeSpider(new DeclarativeSpiderDefinition
        {
            Name = name,
            Start = [site.BaseUrl.AbsoluteUri, Url(site, "/trap/status/404"), Url(site, "/trap/status/503"), Url(site, "/trap/flaky/m?fail=1")],
            Allow = ["/pages/\\d+$"],
            Fields = { ["title"] = "h1::text" },
        });
        var gauges = new List<(long Queued, double? Pending, double? InFlight)>();
        var options = new CrawlOptions { HandleSignals = false, ProgressInterval = TimeSpan.FromMilliseconds(50) };
        options.Retry.Backoff = TimeSpan.FromMilliseconds(10);
        options.RobotsTxt.Obey = true;
        var progress = new SyncProgress(progress =>
        {
            // Reported just after the engine counted the frontier, so the gauge shows the same count.
            var scrape = PrometheusScrape.Parse(collector.Scrape());
            gauges.Add((progress.Queued, scrape.Value("trawl_frontier_pending", Spider(name)), scrape.Value("trawl_requests_in_flight", Spider(name))));
        });

        var result = await new CrawlerBuilder(spider, options).ReportProgress(progress).Build().RunAsync();

        var stats = result.Stats;
        var after = PrometheusScrape.Parse(collector.Scrape());
        stats.Pages.ShouldBeGreaterThan(30);
        after.Value("trawl_pages_completed_total", Spider(name)).ShouldBe(stats.Pages);
        after.Value("trawl_items_total", Spider(name)).ShouldBe(stats.Items);
        foreach (var group in stats.ResponsesByStatus.GroupBy(pair => $"{pair.Key / 100}xx"))
        {
            after.Value("trawl_pages_fetched_total", Spider(name, ("status_class", group.Key))).ShouldBe(group.Sum(pair => pair.Value));
        }

        after.Value("trawl_requests_failed_total", Spider(name, ("kind", "http_404"))).ShouldBe(1);
        after.Value("trawl_requests_failed_total", Spider(name, ("kind", "http_503"))).ShouldBe(1);
        after.Samples("trawl_requests_failed_total", Spider(name)).Sum(s => s.Value).ShouldBe(stats.Failed);
        after.Value("trawl_retries_total", Spider(name, ("kind", "http_503"))).ShouldBe(3, "two for the 503 page, one for the flaky one");
        after.Samples("trawl_retries_total", Spider(name)).Sum(s => s.Value).ShouldBe(stats.Retries);
        after.Value("trawl_requests_skipped_total", Spider(name, ("kind", "robots"))).ShouldBe(stats.SkippedByKind["robots"]);
        var (count, sum) = after.Family("trawl_download_duration_seconds").Histogram(Spider(name));
        count.ShouldBe(stats.Requests, "one observation per download attempt");
        sum.ShouldBeGreaterThan(0);
        after.Value("trawl_downloaded_bytes_total", Spider(name))!.Value.ShouldBeGreaterThan(stats.Pages * 512);

        gauges.ShouldNotBeEmpty();
        // Queued adds the requests the crawl has leased ahead to the frontier's pending ones, which the gauge shows.
        gauges.ShouldAllBe(g => g.Pending <= g.Queued && g.InFlight != null);
        after.Value("trawl_requests_in_flight", Spider(name)).ShouldBeNull("a finished crawl reports no gauges");
        after.Value("trawl_frontier_pending", Spider(name)).ShouldBeNull();
    }

    private static string Url(SandboxServer site, string path) => new Uri(site.BaseUrl, path).AbsoluteUri;

    private static Dictionary<string, string> Spider(string name, params (string Key, string Value)[] more)
    {
        var labels = new Dictionary<string, string> { ["spider"] = name };
        foreach (var (key, value) in more)
        {
            labels[key] = value;
        }

        return labels;
    }

    /// <summary>Reports on the caller's thread (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<CrawlProgress> report) : IProgress<CrawlProgress>
    {
        public void Report(CrawlProgress value) => report(value);
    }
}
