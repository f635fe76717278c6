using Trawl.Crawling;
using Trawl.Downloader;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Jobs;
using Trawl.Tests.Engine;
using Trawl.Tests.Support;

namespace Trawl.Tests.Politeness;

public sealed class ProxyTests
{
    private static CrawlOptions Options() => new() { HandleSignals = false };

    private static Request[] Pages(Uri site, params int[] pages) => [.. pages.Select(i => new Request(new Uri(site, $"/pages/{i}")))];

    [Fact]
    public async Task RequestsGoThroughAnHttpProxy()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        await using var proxy = new TestHttpProxy();
        var options = Options();
        options.Downloader.Proxies.Add(proxy.Url.AbsoluteUri);

        var result = await new RequestsSpider(Pages(server.BaseUrl, 0, 1, 2)).RunAsync(options);

        result.Stats.Pages.ShouldBe(3);
        proxy.Forwarded.ShouldBe(Pages(server.BaseUrl, 0, 1, 2).Select(r => r.Url.AbsoluteUri), ignoreOrder: true);
        server.FetchCount("/pages/1").ShouldBe(1);
    }

    [Fact]
    public async Task ProxyCredentials_AreSent_AndNeverLogged()
    {
        const string Password = "s3cret-pa55";
        await using var server = await TestSites.StartAsync(pages: 5);
        await using var proxy = new TestHttpProxy("crawler", Password);
        await using var wrongProxy = new TestHttpProxy("crawler", "another");
        var logs = new CapturingLoggerProvider();
        var options = Options();
        options.Retry.MaxRetries = 0;
        var through = new Uri($"http://crawler:{Password}@127.0.0.1:{proxy.Port}/").AbsoluteUri;
        var refused = new Uri($"http://crawler:{Password}@127.0.0.1:{wrongProxy.Port}/").AbsoluteUri;
        var requests = new[]
        {
            new Request(new Uri(server.BaseUrl, "/pages/0")) { Meta = { [RequestMeta.Proxy] = through } },
            new Request(new Uri(server.BaseUrl, "/pages/1")) { Meta = { [RequestMeta.Proxy] = refused } },
            new Request(new Uri(server.BaseUrl, "/pages/2")) { Meta = { [RequestMeta.Proxy] = "socks5://crawler:" + Password + "@127.0.0.1:1" } },
        };

        var result = await new CrawlerBuilder(new RequestsSpider(requests), options).UseLoggerFactory(logs.CreateFactory()).Build().RunAsync();

        proxy.Challenges.ShouldBeGreaterThan(0);
        proxy.Forwarded.ShouldBe([requests[0].Url.AbsoluteUri]);
        wrongProxy.Forwarded.ShouldBeEmpty();
        result.Stats.Pages.ShouldBe(1);
        result.Stats.Failed.ShouldBe(2);
        logs.Text.ShouldContain("through proxy socks5://127.0.0.1:1");
        logs.Text.ShouldNotContain(Password);
        logs.Text.ShouldNotContain(Uri.EscapeDataString(Password));
    }

    [Fact]
    public async Task RequestsGoThroughASocks5Proxy()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        await using var socks = new TestSocks5Proxy();
        var options = Options();
        options.Downloader.Proxies.Add(socks.Url.AbsoluteUri);

        var result = await new RequestsSpider(Pages(server.BaseUrl, 0, 1)).RunAsync(options);

        result.Stats.Pages.ShouldBe(2);
        socks.Connects.ShouldNotBeEmpty();
        socks.Connects.ShouldAllBe(target => target == $"127.0.0.1:{server.BaseUrl.Port}");
        server.FetchCount("/pages/0").ShouldBe(1);
    }

    [Fact]
    public async Task Proxies_RotateRoundRobin_AndARequestsMetaWins_AnEmptyOneGoingDirect()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        await using var first = new TestHttpProxy();
        await using var second = new TestHttpProxy();
        await using var own = new TestHttpProxy();
        var options = Options();
        options.Concurrency = 1;
        options.Downloader.Proxies.Add(first.Url.AbsoluteUri);
        options.Downloader.Proxies.Add(second.Url.AbsoluteUri);
        var requests = Pages(server.BaseUrl, 0, 1, 2, 3).ToList();
        requests.Add(new Request(new Uri(server.BaseUrl, "/pages/4")) { Meta = { [RequestMeta.Proxy] = own.Url.AbsoluteUri } });
        requests.Add(new Request(new Uri(server.BaseUrl, "/pages/5")) { Meta = { [RequestMeta.Proxy] = "" } });

        var result = await new RequestsSpider([.. requests]).RunAsync(options);

        result.Stats.Pages.ShouldBe(6);
        first.Forwarded.Count.ShouldBe(2);
        second.Forwarded.Count.ShouldBe(2);
        own.Forwarded.ShouldBe([requests[4].Url.AbsoluteUri]);
        first.Forwarded.Concat(second.Forwarded).ShouldNotContain(requests[5].Url.AbsoluteUri);
        server.FetchCount("/pages/5").ShouldBe(1);
    }

    [Fact]
    public async Task ManyProxies_ShareABoundedNumberOfConnectionPools()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        await using var first = new TestHttpProxy();
        await using var second = new TestHttpProxy();
        await using var third = new TestHttpProxy();
        var options = new DownloaderOptions { MaxProxyConnectionPools = 2 };
        options.Proxies.Add(first.Url.AbsoluteUri);
        options.Proxies.Add(second.Url.AbsoluteUri);
        options.Proxies.Add(third.Url.AbsoluteUri);
        using var downloader = new HttpDownloader(options);

        for (var i = 0; i < 9; i++)
        {
            var result = await downloader.DownloadAsync(new Request(new Uri(server.BaseUrl, $"/pages/{i % 5}")), CancellationToken.None);
            result.Response.ShouldNotBeNull(result.Message);
        }

        first.Forwarded.Count.ShouldBe(3);
        third.Forwarded.Count.ShouldBe(3);
    }

    [Fact]
    public async Task OnResume_AChangedProxySetup_SendsFailedRequestsBackToPending_ToBeTriedThroughIt()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        await using var proxy = new TestHttpProxy();
        using var temp = new TempDirectory();
        var urls = Enumerable.Range(0, 6).Select(i => new Uri(server.BaseUrl, $"/pages/{i}").AbsoluteUri).ToArray();

        // First run: through a proxy that is not there; every attempt fails, and the page limit stops the run early.
        var first = Options();
        first.JobDir = temp.File("job");
        first.Limit = 3;
        first.Concurrency = 1;
        first.Retry.MaxRetries = 0;
        first.Downloader.Proxies.Add("http://user:pw@127.0.0.1:1");
        var stopped = await new ListSpider(urls).RunAsync(first);
        stopped.Stats.Failed.ShouldBe(3);
        server.TotalRequests.ShouldBe(0);

        // Resumed through a proxy that works.
        var logs = new CapturingLoggerProvider();
        var second = Options();
        second.JobDir = temp.File("job");
        second.KeepJob = true;
        second.Downloader.Proxies.Add(proxy.Url.AbsoluteUri);
        var resumed = await new CrawlerBuilder(new ListSpider(urls), second).UseLoggerFactory(logs.CreateFactory()).Build().RunAsync();

        resumed.Paused.ShouldBeFalse();
        resumed.Stats.Pages.ShouldBe(6);
        proxy.Forwarded.ShouldBe(urls, ignoreOrder: true);
        var status = await JobStore.ReadStatusAsync(temp.File("job"));
        status!.Counts.Done.ShouldBe(6);
        status.Counts.Failed.ShouldBe(0);
        logs.Lines.ShouldContain(line => line.Contains(" 1509 ") && line.Contains("3 failed requests"));
        logs.Text.ShouldNotContain(":pw@");
    }

    [Fact]
    public async Task OnResume_AnUnchangedProxySetup_LeavesFailedRequestsAlone()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        using var temp = new TempDirectory();
        var urls = new[] { new Uri(server.BaseUrl, "/trap/status/404").AbsoluteUri, new Uri(server.BaseUrl, "/pages/0").AbsoluteUri, new Uri(server.BaseUrl, "/pages/1").AbsoluteUri };
        CrawlOptions Run()
        {
            var options = Options();
            options.JobDir = temp.File("job");
            options.Concurrency = 1;
            options.Limit = 2;
            return options;
        }

        await new ListSpider(urls).RunAsync(Run());
        var resumed = Run();
        resumed.Limit = null;
        await new ListSpider(urls).RunAsync(resumed);

        server.FetchCount("/trap/status/404").ShouldBe(1);
    }
}
