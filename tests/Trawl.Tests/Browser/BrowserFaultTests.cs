using Trawl.Browser;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Rendering;
using Trawl.Sandbox;
using Trawl.Tests.Engine;
using Trawl.Tests.Support;

namespace Trawl.Tests.Browser;

/// <summary>What goes wrong with a browser, and what the crawl does about it. Each test starts browsers of its own.</summary>
public sealed class BrowserFaultTests
{
    [Fact]
    public async Task BrowserKilledMidCrawl_PagesInFlightAreRetried_AndTheCrawlCompletes()
    {
        var site = BrowserSupport.MixedSite(appPages: 16, seed: 8);
        await using var server = await SandboxServer.StartAsync(site);
        var renderer = BrowserSupport.NewRenderer(maxPages: 4);
        var options = BrowserSupport.Options();
        options.Render.Mode = RenderMode.Always;
        options.Render.WaitFor = BrowserSupport.Ready;
        options.Retry.Backoff = TimeSpan.FromMilliseconds(100);
        options.Retry.MaxRetries = 5;

        var crawl = new CrawlerBuilder(BrowserSupport.Spider(server, "/app/", allow: "/app/"), options).UseRenderer(renderer).Build().RunAsync();

        // Once the browser has rendered a few of the section's pages, kill it while others are in flight.
        await Waiting.UntilAsync(() => server.FetchCount("/app/app.js") >= 5 || crawl.IsCompleted, Waiting.Generous, "a few rendered pages");
        crawl.IsCompleted.ShouldBeFalse("the crawl must still be running when the browser is killed");
        var browserProcess = renderer.CurrentProcesses()[0];
        File.ReadAllText($"/proc/{browserProcess}/cmdline").ShouldNotContain("--type=", customMessage: "the browser itself, not one of its helpers");
        BrowserProcesses.Kill([browserProcess]);
        var result = await crawl;

        result.Stats.Failed.ShouldBe(0, string.Join(", ", result.Stats.ErrorsByKind));
        renderer.Launches.ShouldBeGreaterThanOrEqualTo(2, "the browser is started afresh");
        var items = BrowserSupport.ItemsByPath(result);
        foreach (var page in SandboxSite.AppPages(site))
        {
            items[page.Path]["title"]!.GetValue<string>().ShouldBe(page.Title);
        }

        items.Count.ShouldBe(SandboxSite.AppPages(site).Count);
        await BrowserSupport.DisposeAndCheckNoOrphansAsync(renderer);
    }

    [Fact]
    public async Task HangingPage_FailsAsRenderTimeout()
    {
        var site = BrowserSupport.MixedSite();
        await using var server = await SandboxServer.StartAsync(site);
        var renderer = BrowserSupport.NewRenderer(maxPages: 1);
        var options = BrowserSupport.Options();
        options.Render.Mode = RenderMode.Always;
        options.Render.Timeout = TimeSpan.FromSeconds(3);
        options.Retry.MaxRetries = 0;

        // The page's script fetches an endpoint that never answers: the network never goes idle.
        var result = await new CrawlerBuilder(new ListSpider(new Uri(server.BaseUrl, "/app/hang/").AbsoluteUri), options).UseRenderer(renderer).Build().RunAsync();

        result.Stats.Failed.ShouldBe(1);
        result.Stats.ErrorsByKind.ShouldContainKey("render_timeout");
        await BrowserSupport.DisposeAndCheckNoOrphansAsync(renderer);
    }

    [Fact]
    public async Task Browser_IsRestartedAfterItsPageLimit_AndPastItsMemoryLimit()
    {
        var site = BrowserSupport.MixedSite(appPages: 10);
        await using var server = await SandboxServer.StartAsync(site);
        var urls = Enumerable.Range(0, 9).Select(i => new Uri(server.BaseUrl, $"/app/item/{i}").AbsoluteUri).ToArray();

        // After 4 pages: pages are counted as they start, so the fourth is a browser's last.
        var byPages = BrowserSupport.NewRenderer(maxPages: 2, restartAfterPages: 4);
        (await RenderAllAsync(byPages, urls)).Stats.Failed.ShouldBe(0);
        byPages.Launches.ShouldBe(3, "9 pages at 4 per browser take three browsers");
        await BrowserSupport.DisposeAndCheckNoOrphansAsync(byPages);

        // Past 64 MiB, looked at every 3 pages: any Chromium is over it. One page at a time, the look after the third page
        // restarts the browser before the fourth starts, and the second browser is not looked at again before the fifth
        // is done. (With two at once, a page may start on the old browser while the look reads /proc: it still retires
        // once its pages are done, but the fifth page may then have been its last.)
        var byMemory = new BrowserRenderer(new BrowserOptions { ExecutablePath = BrowserSupport.ExecutablePath, MaxPages = 2, MaxMemoryMiB = 64 }) { MemoryCheckEvery = 3 };
        (await RenderAllAsync(byMemory, urls[..5], concurrency: 1)).Stats.Failed.ShouldBe(0);
        byMemory.Launches.ShouldBe(2);
        await BrowserSupport.DisposeAndCheckNoOrphansAsync(byMemory);
    }

    [Fact]
    public async Task APage_IsKeptForRendersPerPageRenders_ThenReplaced()
    {
        var site = BrowserSupport.MixedSite(appPages: 10);
        await using var server = await SandboxServer.StartAsync(site);
        var urls = Enumerable.Range(0, 5).Select(i => new Uri(server.BaseUrl, $"/app/item/{i}").AbsoluteUri).ToArray();
        var renderer = new BrowserRenderer(new BrowserOptions { ExecutablePath = BrowserSupport.ExecutablePath, MaxPages = 1, RendersPerPage = 2 });

        var result = await RenderAllAsync(renderer, urls, concurrency: 1);

        result.Stats.Failed.ShouldBe(0);
        BrowserSupport.ItemsByPath(result).Count.ShouldBe(5);
        renderer.ContextsOpened.ShouldBe(3, "5 renders at 2 per page take three pages");
        await BrowserSupport.DisposeAndCheckNoOrphansAsync(renderer);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void RendersPerPage_BelowOne_IsRefusedByName(int renders)
    {
        var bad = new BrowserOptions { ExecutablePath = "/usr/bin/chromium", RendersPerPage = renders };

        Should.Throw<ArgumentException>(bad.Validate).ParamName.ShouldBe(nameof(BrowserOptions.RendersPerPage));
    }

    [Fact]
    public async Task Dispose_WithPagesInFlight_LeavesNoBrowserProcess()
    {
        var site = BrowserSupport.MixedSite();
        await using var server = await SandboxServer.StartAsync(site);
        var renderer = BrowserSupport.NewRenderer(maxPages: 2);
        var hanging = renderer.RenderAsync(
            new RenderRequest { Request = new Request(new Uri(server.BaseUrl, "/app/hang/")), UserAgent = "test", Timeout = TimeSpan.FromMinutes(5) },
            CancellationToken.None).AsTask();
        await Waiting.UntilAsync(() => server.FetchCount("/trap/hang") >= 1, Waiting.Generous, "the page to hang");

        await BrowserSupport.DisposeAndCheckNoOrphansAsync(renderer);

        var stopped = await hanging;
        stopped.Error.ShouldBe(Trawl.Downloader.DownloadError.Cancelled, stopped.Message);
    }

    private static Task<CrawlResult> RenderAllAsync(BrowserRenderer renderer, string[] urls, int concurrency = 2)
    {
        var options = BrowserSupport.Options(concurrency);
        options.Render.Mode = RenderMode.Always;
        options.Render.WaitFor = BrowserSupport.Ready;
        return new CrawlerBuilder(new ListSpider(urls), options).UseRenderer(renderer).Build().RunAsync();
    }
}
