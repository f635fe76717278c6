using Trawl.Engine;
using Trawl.Rendering;
using Trawl.Sandbox;

namespace Trawl.Tests.Browser;

/// <summary>
/// The three render modes on a mixed site: plain pages beside a section whose content and links a script builds from
/// JSON. Over plain HTTP the section is empty shells; in the browser it is all there.
/// </summary>
public sealed class RenderModeTests(SharedBrowser browser) : IClassFixture<SharedBrowser>
{
    [Fact]
    public async Task Never_FindsNoneOfTheScriptBuiltContent()
    {
        var site = BrowserSupport.MixedSite();
        await using var server = await SandboxServer.StartAsync(site);

        var result = await new CrawlerBuilder(BrowserSupport.Spider(server), BrowserSupport.Options()).UseRenderer(browser.Renderer).Build().RunAsync();

        var items = BrowserSupport.ItemsByPath(result);
        items.Keys.Where(static path => path.StartsWith("/app/item/", StringComparison.Ordinal)).ShouldBeEmpty("the items are linked only by script");
        items["/app/"]["title"].ShouldBeNull("the shell has no h1 until its script runs");
        items.Keys.ShouldBe(BrowserSupport.PlainPaths(site).Append("/app/"), ignoreOrder: true);
        result.Stats.Rendered.ShouldBe(0);
        result.Stats.FetchedPlain.ShouldBe(items.Count);
        server.FetchCount("/app/api/index.json").ShouldBe(0, "no script ran");
    }

    [Fact]
    public async Task Always_FindsAllOfIt()
    {
        var site = BrowserSupport.MixedSite();
        await using var server = await SandboxServer.StartAsync(site);
        var options = BrowserSupport.Options();
        options.Render.Mode = RenderMode.Always;
        options.Render.WaitFor = BrowserSupport.Ready;

        var result = await new CrawlerBuilder(BrowserSupport.Spider(server), options).UseRenderer(browser.Renderer).Build().RunAsync();

        result.Stats.Failed.ShouldBe(0, string.Join(", ", result.Stats.ErrorsByKind));
        var items = BrowserSupport.ItemsByPath(result);
        foreach (var page in SandboxSite.AppPages(site))
        {
            items.ShouldContainKey(page.Path);
            items[page.Path]["title"]!.GetValue<string>().ShouldBe(page.Title);
            items[page.Path]["summary"]?.GetValue<string>().ShouldBe(page.Summary);
        }

        foreach (var path in BrowserSupport.PlainPaths(site))
        {
            items.ShouldContainKey(path);
        }

        items.Count.ShouldBe(BrowserSupport.PlainPaths(site).Count + SandboxSite.AppPages(site).Count);
        result.Stats.Rendered.ShouldBe(items.Count);
        result.Stats.FetchedPlain.ShouldBe(0);
    }

    [Fact]
    public async Task Auto_RendersTheScriptBuiltPages_AndNoPlainPage()
    {
        var site = BrowserSupport.MixedSite();
        await using var server = await SandboxServer.StartAsync(site);

        // One request at a time, so the order in which the items' pattern is learned is the crawl's, not the scheduler's.
        var options = BrowserSupport.Options(concurrency: 1);
        options.Render.Mode = RenderMode.Auto;
        options.Render.WaitFor = BrowserSupport.Ready;

        var result = await new CrawlerBuilder(BrowserSupport.Spider(server), options).UseRenderer(browser.Renderer).Build().RunAsync();

        result.Stats.Failed.ShouldBe(0, string.Join(", ", result.Stats.ErrorsByKind));
        var items = BrowserSupport.ItemsByPath(result);
        var appPages = SandboxSite.AppPages(site);
        foreach (var page in appPages)
        {
            items[page.Path]["title"]!.GetValue<string>().ShouldBe(page.Title);
        }

        var plain = BrowserSupport.PlainPaths(site);
        foreach (var path in plain)
        {
            items[path]["title"].ShouldNotBeNull();
            server.FetchCount(path).ShouldBe(1, $"{path} is fetched once, plainly, and never rendered");
        }

        // Rendered: exactly the script-built pages, each once (its JSON was fetched once, by its script).
        result.Stats.Rendered.ShouldBe(appPages.Count);
        server.FetchCount("/app/api/index.json").ShouldBe(1);
        for (var i = 0; i < site.AppPages; i++)
        {
            server.FetchCount($"/app/api/item/{i}.json").ShouldBe(1);
        }

        // Fetched plainly: the plain pages, the index shell, and the first two items, after which the items' pattern is
        // learned (RenderOptions.AutoLearnAfter) and the others are rendered at once.
        result.Stats.FetchedPlain.ShouldBe(plain.Count + 1 + options.Render.AutoLearnAfter);
        Enumerable.Range(0, site.AppPages).Sum(i => server.FetchCount($"/app/item/{i}")).ShouldBe(site.AppPages + options.Render.AutoLearnAfter);
    }

    [Fact]
    public async Task APagesOwnRequests_ThatTheScopeRefuses_AreNeverSent()
    {
        var site = BrowserSupport.MixedSite();
        await using var server = await SandboxServer.StartAsync(site);

        // The crawl's scope (CrawlOptions.AllowedDomains reaches the renderer as AllowUrl) refuses the section's JSON API.
        var result = await browser.Renderer.RenderAsync(
            new RenderRequest
            {
                Request = new Trawl.Http.Request(new Uri(server.BaseUrl, "/app/item/0")),
                UserAgent = "test",
                Timeout = TimeSpan.FromMinutes(1),
                AllowUrl = static url => !url.AbsolutePath.StartsWith("/app/api/", StringComparison.Ordinal),
            },
            CancellationToken.None);

        result.Error.ShouldBe(Trawl.Downloader.DownloadError.None, result.Message);
        server.FetchCount("/app/app.js").ShouldBe(1, "what the scope allows is loaded");
        server.FetchCount("/app/api/item/0.json").ShouldBe(0, "what it refuses never reaches the server");
        result.Response!.Css("h1::text").Get().ShouldBeNull("the script had nothing to build the page from");
    }
}
