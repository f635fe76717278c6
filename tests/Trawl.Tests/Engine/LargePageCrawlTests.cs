using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Sandbox;
using Trawl.Spiders.Declarative;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

/// <summary>Pages of a few megabytes, crawled under a budget of response bytes in flight.</summary>
public sealed class LargePageCrawlTests
{
    private static SandboxOptions Site() => new()
    {
        Pages = 40, LinksPerPage = 5, PageSize = 1024, QuotePages = 0, Seed = 5, EnableRequestLog = false,
        BigPages = 4, BigPageMinSize = 1 << 20, BigPageMaxSize = 3 << 20,
    };

    [Theory]
    [InlineData(256L * 1024)] // smaller than any big page: each proceeds alone
    [InlineData(4L * 1024 * 1024)] // room for one or two at a time: the others wait
    public async Task SiteWithLargePages_IsCrawledCompletely_UnderAByteBudget(long budget)
    {
        var siteOptions = Site();
        await using var server = await SandboxServer.StartAsync(siteOptions);
        var spider = new DeclarativeSpider(new DeclarativeSpiderDefinition
        {
            Start = [server.BaseUrl.AbsoluteUri],
            Fields = { ["title"] = "title::text", ["h1"] = "h1::text", ["first"] = "ul.links a::text" },
        });
        var options = new CrawlOptions { HandleSignals = false, Concurrency = 16, ConcurrencyPerDomain = 16, MaxResponseBytesInFlight = budget };

        var result = await spider.RunAsync(options);

        result.Paused.ShouldBeFalse(result.PauseReason);
        result.Stats.Failed.ShouldBe(0);
        var expected = SandboxSite.ReachablePaths(siteOptions);
        var fetches = TestSites.PageFetches(server, siteOptions);
        fetches.Keys.ShouldBe(expected, ignoreOrder: true);
        fetches.Values.ShouldAllBe(count => count == 1);
        result.Items.Count.ShouldBe(expected.Count);
        var big = SandboxSite.BigPages(siteOptions);
        big.Count.ShouldBe(4);
        big.ShouldAllBe(page => page.Size >= 1 << 20 && page.Size <= 3 << 20);
        foreach (var (page, _) in big)
        {
            var item = result.Items.Single(item => item["url"]!.GetValue<string>() == new Uri(server.BaseUrl, SandboxSite.PagePath(page)).AbsoluteUri);
            item["title"]!.GetValue<string>().ShouldBe($"Page {page}");
            item["h1"]!.GetValue<string>().ShouldBe($"Page {page}");
            item["first"]!.GetValue<string>().ShouldBe($"Page {SandboxSite.LinkTargets(siteOptions, page)[0]}");
        }
    }
}
