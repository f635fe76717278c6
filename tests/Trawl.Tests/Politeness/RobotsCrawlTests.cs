using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Jobs;
using Trawl.Sandbox;
using Trawl.Tests.Engine;
using Trawl.Tests.Support;

namespace Trawl.Tests.Politeness;

public sealed class RobotsCrawlTests
{
    private static CrawlOptions Obeying()
    {
        var options = new CrawlOptions { HandleSignals = false };
        options.RobotsTxt.Obey = true;
        return options;
    }

    [Fact]
    public async Task DisallowedRequests_AreRecordedAsSkipped_InTheJob_AndNeverFetched()
    {
        await using var server = await TestSites.StartAsync(pages: 40, configure: site => site.RobotsTxt = "User-agent: *\nDisallow: /pages/1\n");
        using var temp = new TempDirectory();
        var options = Obeying();
        options.JobDir = temp.File("job");
        options.KeepJob = true;

        var result = await new SiteSpider(server.BaseUrl).RunAsync(options);

        var fetched = server.FetchCounts();
        fetched.Keys.ShouldNotContain(path => path.StartsWith("/pages/1"));
        fetched["/robots.txt"].ShouldBe(1);
        var skipped = result.Stats.SkippedByKind["robots"];
        skipped.ShouldBeGreaterThan(0);
        result.Stats.Skipped.ShouldBe(skipped);
        var status = await JobStore.ReadStatusAsync(options.JobDir);
        status!.Counts.Skipped.ShouldBe(skipped);
        status.Counts.Failed.ShouldBe(0);
    }

    [Fact]
    public async Task TheRobotsFetch_IsNoPage_AndDoesNotCountTowardTheLimit()
    {
        await using var server = await TestSites.StartAsync(pages: 40, configure: site => site.RobotsTxt = "User-agent: *\nAllow: /\n");
        var options = Obeying();
        options.Limit = 5;

        var result = await new SiteSpider(server.BaseUrl).RunAsync(options);

        result.Stats.Pages.ShouldBe(5);
        result.Items.Count.ShouldBe(5);
        result.Stats.RobotsTxtFetches.ShouldBe(1);
        server.FetchCounts().Values.Sum().ShouldBe(6);
        server.FetchCount("/robots.txt").ShouldBe(1);
    }

    [Fact]
    public async Task RobotsTxtIsFetchedPerOrigin()
    {
        await using var first = await TestSites.StartAsync(pages: 3, configure: site => site.RobotsTxt = "User-agent: *\nDisallow: /pages/\n");
        await using var second = await TestSites.StartAsync(pages: 3);
        var spider = new ListSpider(
            new Uri(first.BaseUrl, "/pages/0").AbsoluteUri,
            new Uri(first.BaseUrl, "/pages/1").AbsoluteUri,
            new Uri(second.BaseUrl, "/pages/0").AbsoluteUri,
            new Uri(second.BaseUrl, "/pages/1").AbsoluteUri);

        // One at a time: the second origin's robots.txt waits its turn.
        var options = Obeying();
        options.Concurrency = 1;

        var result = await spider.RunAsync(options);

        first.FetchCount("/robots.txt").ShouldBe(1);
        second.FetchCount("/robots.txt").ShouldBe(1);
        first.FetchCount("/pages/0").ShouldBe(0);
        second.FetchCount("/pages/0").ShouldBe(1);
        result.Stats.SkippedByKind["robots"].ShouldBe(2);
        result.Stats.Pages.ShouldBe(2);
    }

    [Fact]
    public async Task WithoutRobotsTxt_EverythingIsAllowed()
    {
        await using var server = await TestSites.StartAsync(pages: 10);

        var result = await new SiteSpider(server.BaseUrl).RunAsync(Obeying());

        server.FetchCount("/robots.txt").ShouldBe(1);
        result.Stats.Pages.ShouldBe(SandboxSite.ReachablePaths(new SandboxOptions { Pages = 10, QuotePages = 0 }).Count);
        result.Stats.Skipped.ShouldBe(0);
    }

    [Fact]
    public async Task TheCrawlersOwnGroup_IsMatchedByTheProductTokenOfTheUserAgent_EvenWhenUserAgentsRotate()
    {
        await using var server = await TestSites.StartAsync(pages: 10, configure: site => site.RobotsTxt = "User-agent: Trawl\nDisallow: /pages/\n\nUser-agent: *\nDisallow:\n");
        var options = Obeying();
        options.Downloader.UserAgents.Add("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0");
        options.Downloader.UserAgents.Add("Mozilla/5.0 (Macintosh) Safari/605.1.15");

        var result = await new SiteSpider(server.BaseUrl).RunAsync(options);

        server.FetchCounts().Keys.ShouldNotContain(path => path.StartsWith("/pages/"));
        result.Stats.SkippedByKind["robots"].ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Ignored_RobotsTxtIsNotEvenFetched()
    {
        await using var server = await TestSites.StartAsync(pages: 10, configure: site => site.RobotsTxt = "User-agent: *\nDisallow: /\n");

        var result = await new SiteSpider(server.BaseUrl).RunAsync(new CrawlOptions { HandleSignals = false });

        server.FetchCount("/robots.txt").ShouldBe(0);
        result.Stats.Pages.ShouldBeGreaterThan(1);
    }

    [Fact]
    public async Task AnUnavailableRobotsTxt_DisallowsEverythingForAWhile_ThenItIsAskedForAgain()
    {
        // The first answer is a 503; the second, a while later, has rules.
        var robotsFetches = 0;
        await using var site = new ScriptedServer(path => path switch
        {
            "/robots.txt" => Interlocked.Increment(ref robotsFetches) == 1
                ? new ScriptedResponse(503, "", "busy")
                : new ScriptedResponse(200, "", "User-agent: *\nDisallow: /private\n"),
            _ => new ScriptedResponse(200, "", "<html><body>ok</body></html>"),
        });
        var options = Obeying();
        options.RobotsTxt.UnavailableRetryDelay = TimeSpan.FromMilliseconds(200);
        options.Retry.Backoff = TimeSpan.FromMilliseconds(10);

        var result = await new ListSpider(new Uri(site.Url, "/public").AbsoluteUri, new Uri(site.Url, "/private").AbsoluteUri).RunAsync(options);

        robotsFetches.ShouldBe(2);
        site.Paths.ShouldBe(["/robots.txt", "/robots.txt", "/public"]);
        result.Stats.Retries.ShouldBe(2);
        result.Stats.Pages.ShouldBe(1);
        result.Stats.SkippedByKind["robots"].ShouldBe(1);
    }

    [Fact]
    public async Task ARobotsTxtThatKeepsFailing_FailsItsRequestsAsRobotsUnavailable_WithoutFetchingThem()
    {
        await using var site = new ScriptedServer(path => path == "/robots.txt" ? new ScriptedResponse(500, "", "down") : new ScriptedResponse(200, "", "ok"));
        var options = Obeying();
        options.RobotsTxt.UnavailableRetryDelay = TimeSpan.FromMilliseconds(50);
        options.Retry.MaxRetries = 1;
        options.Retry.Backoff = TimeSpan.FromMilliseconds(10);
        using var temp = new TempDirectory();
        options.JobDir = temp.File("job");
        options.KeepJob = true;

        var result = await new ListSpider(new Uri(site.Url, "/page").AbsoluteUri).RunAsync(options);

        site.Paths.ShouldAllBe(path => path == "/robots.txt");
        result.Stats.Failed.ShouldBe(1);
        var status = await JobStore.ReadStatusAsync(options.JobDir);
        status!.TopErrors.ShouldHaveSingleItem().Kind.ShouldBe("robots_unavailable");
    }
}
