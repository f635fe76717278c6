using System.Net;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Rendering;
using Trawl.Sandbox;

namespace Trawl.Tests.Browser;

/// <summary>The crawl's cookies go into the browser and come back out.</summary>
public sealed class BrowserCookieTests(SharedBrowser browser) : IClassFixture<SharedBrowser>
{
    [Fact]
    public async Task LoginCookie_SetOverPlainHttp_IsSeenByARenderedPage()
    {
        var site = BrowserSupport.MixedSite();
        await using var server = await SandboxServer.StartAsync(site);
        var options = BrowserSupport.Options(concurrency: 1);
        options.Render.Mode = RenderMode.Auto;
        options.Render.WaitFor = BrowserSupport.Ready;

        // /app/login sets the session cookie over plain HTTP (it has no script, so auto mode keeps it plain) and links to
        // /app/account/, a shell whose script asks the server, with the cookie, who is signed in.
        var spider = BrowserSupport.Spider(server, "/app/login?user=ada");
        var result = await new CrawlerBuilder(spider, options).UseRenderer(browser.Renderer).Build().RunAsync();

        var items = BrowserSupport.ItemsByPath(result);
        items["/app/login"]["title"]!.GetValue<string>().ShouldBe("Signed in as ada");
        items["/app/account/"]["title"]!.GetValue<string>().ShouldBe("Signed in as ada", "the rendered page sent the cookie set over plain HTTP");
        result.Stats.Rendered.ShouldBe(1);
    }

    [Fact]
    public async Task CookiesChangedInTheBrowser_ComeBackToTheJar_AndOneItRemovedIsGone()
    {
        var site = BrowserSupport.MixedSite();
        await using var server = await SandboxServer.StartAsync(site);
        var jar = new CookieContainer();
        jar.Add(new Cookie("stale", "1", "/", server.BaseUrl.Host));
        jar.Add(new Cookie("session", "old", "/", server.BaseUrl.Host));

        // /app/login sets session=grace in the browser, replacing "old"; "stale" is sent and left alone.
        (await RenderAsync(server, "/app/login?user=grace", jar)).Response!.Css("h1::text").Get().ShouldBe("Signed in as grace");
        jar.GetCookies(server.BaseUrl)["session"]!.Value.ShouldBe("grace");
        jar.GetCookies(server.BaseUrl)["stale"]!.Value.ShouldBe("1");

        // The account page's script sends the jar's session back to the server.
        (await RenderAsync(server, "/app/account/", jar)).Response!.Css("h1::text").Get().ShouldBe("Signed in as grace");

        // /app/logout removes the session in the browser, and so from the jar.
        await RenderAsync(server, "/app/logout", jar);
        jar.GetCookies(server.BaseUrl)["session"].ShouldBeNull();
        jar.GetCookies(server.BaseUrl)["stale"]!.Value.ShouldBe("1");
    }

    [Fact]
    public async Task AKeptPage_SendsOnlyTheCrawlsCookies_NotOnesItsEarlierRenderSet_AndAFailedRenderGetsANewPage()
    {
        var site = BrowserSupport.MixedSite();
        await using var server = await SandboxServer.StartAsync(site);
        await using var renderer = BrowserSupport.NewRenderer(maxPages: 1);

        // One page at a time, so the second render takes the first one's page, whose context the login set a cookie in.
        (await RenderAsync(renderer, server, "/app/login?user=ada", new CookieContainer())).Response!.Css("h1::text").Get().ShouldBe("Signed in as ada");
        var fresh = await RenderAsync(renderer, server, "/app/account/", new CookieContainer());

        fresh.Response!.Css("h1::text").Get().ShouldBe("Not signed in", "the page was cleared of the cookie its last render set");
        renderer.ContextsOpened.ShouldBe(1, "the page was kept");
        var jar = new CookieContainer();
        jar.Add(new Cookie("session", "grace", "/", server.BaseUrl.Host));
        (await RenderAsync(renderer, server, "/app/account/", jar)).Response!.Css("h1::text").Get().ShouldBe("Signed in as grace");

        // A render that times out leaves its page to be closed, whatever it was still doing; the next one gets a new page.
        var hung = await renderer.RenderAsync(
            new RenderRequest { Request = new Request(new Uri(server.BaseUrl, "/app/hang/")), UserAgent = "test", WaitFor = BrowserSupport.Ready, Timeout = TimeSpan.FromSeconds(2) },
            CancellationToken.None);
        hung.Error.ShouldBe(Trawl.Downloader.DownloadError.RenderTimeout, hung.Message);
        (await RenderAsync(renderer, server, "/app/account/", jar)).Response!.Css("h1::text").Get().ShouldBe("Signed in as grace");
        renderer.ContextsOpened.ShouldBe(2);
    }

    private Task<Trawl.Downloader.DownloadResult> RenderAsync(SandboxServer server, string path, CookieContainer jar) => RenderAsync(browser.Renderer, server, path, jar);

    private static async Task<Trawl.Downloader.DownloadResult> RenderAsync(Trawl.Browser.BrowserRenderer renderer, SandboxServer server, string path, CookieContainer jar)
    {
        var result = await renderer.RenderAsync(
            new RenderRequest { Request = new Request(new Uri(server.BaseUrl, path)), Cookies = jar, UserAgent = "test", WaitFor = BrowserSupport.Ready, Timeout = TimeSpan.FromMinutes(1) },
            CancellationToken.None);
        result.Error.ShouldBe(Trawl.Downloader.DownloadError.None, result.Message);
        return result;
    }
}
