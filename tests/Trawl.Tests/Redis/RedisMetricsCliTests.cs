using System.Text.RegularExpressions;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Redis;

/// <summary><c>trawl crawl --frontier … --metrics</c>: a cluster worker's metrics carry its worker id.</summary>
public sealed partial class RedisMetricsCliTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);
    private readonly RedisServer _server = fixture.Server;

    [Fact]
    public async Task Worker_WithMetrics_LabelsEverySampleWithItsWorkerId_AndCountsItsPages()
    {
        var siteOptions = new SandboxOptions { Pages = 80, QuotePages = 0, PageSize = 1024, Seed = 5, EnableRequestLog = false };
        await using var site = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var name = $"m-{Guid.NewGuid():N}";
        var pages = SandboxSite.ReachablePaths(siteOptions).Count;

        // --wait: the worker stays once the crawl is finished, so its final figures can be scraped.
        using var child = CliProcess.Start(
            temp.Path,
            "crawl", "--start", site.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--field", "title=h1::text", "--name", name,
            "--frontier", _server.Url, "--wait", "-o", "items.jsonl", "--no-progress", "--log-level", "warning", "--metrics", "0");
        var url = await CliMetrics.UrlAsync(child, RunTimeout);
        await Waiting.UntilAsync(() => WorkerLine().IsMatch(child.Output) || child.HasExited, RunTimeout, "the worker to join");
        var worker = WorkerLine().Match(child.Output).Groups[1].Value;
        worker.ShouldNotBeEmpty(child.Output + child.Error);
        var labels = new Dictionary<string, string> { ["spider"] = name, ["worker"] = worker };
        using var http = new HttpClient();
        PrometheusScrape scrape = null!;
        await Waiting.UntilAsync(
            async () =>
            {
                child.HasExited.ShouldBeFalse(child.Output + child.Error);
                scrape = await PrometheusScrape.GetAsync(http, url);
                return scrape.Value("trawl_pages_completed_total", labels) == pages
                    && scrape.Value("trawl_frontier_pending", labels) == 0
                    && scrape.Value("trawl_frontier_leased", labels) == 0;
            },
            RunTimeout,
            "the crawl to finish");

        scrape.Families.Values.SelectMany(family => family.Samples).ShouldAllBe(sample => sample.Labels["worker"] == worker && sample.Labels["spider"] == name);
        scrape.Value("trawl_items_total", labels).ShouldBe(pages);
        scrape.Value("trawl_pages_fetched_total", new Dictionary<string, string>(labels) { ["status_class"] = "2xx" }).ShouldBe(pages);
        scrape.Value("trawl_requests_in_flight", labels).ShouldBe(0);
        scrape.Family("trawl_download_duration_seconds").Histogram(labels).Count.ShouldBe(pages);

        child.Interrupt();
        (await child.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Paused, child.Output + child.Error);
        CliMetrics.Summary(child.Output).ShouldBe((pages, pages, 0));
        File.ReadAllLines(temp.File("items.jsonl")).Length.ShouldBe(pages);
    }

    [GeneratedRegex(@"^Cluster: .*, worker (\S+)\.\r?$", RegexOptions.Multiline)]
    private static partial Regex WorkerLine();
}
