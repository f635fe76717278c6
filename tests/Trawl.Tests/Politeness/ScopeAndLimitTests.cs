using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Jobs;
using Trawl.Tests.Engine;
using Trawl.Tests.Support;

namespace Trawl.Tests.Politeness;

public sealed class ScopeAndLimitTests
{
    private static CrawlOptions Options() => new() { HandleSignals = false };

    private static Uri OnLocalhost(Uri url) => new UriBuilder(url) { Host = "localhost" }.Uri;

    [Fact]
    public async Task DiscoveredLinksOutsideTheAllowedDomains_AreDroppedAndCounted()
    {
        // The sandbox writes some links absolute, naming 127.0.0.1; crawled as localhost, those are another host.
        await using var server = await TestSites.StartAsync(pages: 30);
        var options = Options();
        options.AllowedDomains.Add("localhost");

        var result = await new EverywhereSpider(OnLocalhost(server.BaseUrl)).RunAsync(options);

        result.Stats.FilteredByKind["offsite"].ShouldBeGreaterThan(0);
        result.Stats.Skipped.ShouldBe(0);
        result.Items.Count.ShouldBeGreaterThan(1);
        result.Items.Select(item => new Uri(item["url"]!.GetValue<string>()).Host).Distinct().ShouldBe(["localhost"]);
    }

    [Fact]
    public async Task AStartRequestOutsideTheAllowedDomains_IsRecordedAsSkipped()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var options = Options();
        options.AllowedDomains.Add("LOCALHOST");

        var result = await new ListSpider(new Uri(server.BaseUrl, "/pages/0").AbsoluteUri, new Uri(OnLocalhost(server.BaseUrl), "/pages/1").AbsoluteUri).RunAsync(options);

        result.Stats.SkippedByKind["offsite"].ShouldBe(1);
        server.FetchCount("/pages/0").ShouldBe(0);
        server.FetchCount("/pages/1").ShouldBe(1);
    }

    [Fact]
    public async Task ARedirectOutsideTheAllowedDomains_IsNotFollowed_AndIsRecordedWithItsTarget()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var target = new Uri(OnLocalhost(server.BaseUrl), "/pages/0");
        await using var redirector = ScriptedServer.RedirectingTo(() => target.AbsoluteUri);
        using var temp = new TempDirectory();
        var options = Options();
        options.AllowedDomains.Add("127.0.0.1");
        options.JobDir = temp.File("job");
        options.KeepJob = true;

        var result = await new ListSpider(new Uri(redirector.Url, "/moved").AbsoluteUri).RunAsync(options);

        server.FetchCount("/pages/0").ShouldBe(0);
        result.Stats.Failed.ShouldBe(1);
        result.Stats.Retries.ShouldBe(0);
        var error = (await JobStore.ReadStatusAsync(options.JobDir))!.TopErrors.ShouldHaveSingleItem();
        error.Kind.ShouldBe("redirect_blocked");
        error.Message.ShouldContain(target.AbsoluteUri);
    }

    [Fact]
    public async Task ARedirectWithinTheAllowedDomains_IsFollowed()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        await using var redirector = ScriptedServer.RedirectingTo(() => new Uri(server.BaseUrl, "/pages/0").AbsoluteUri);
        var options = Options();
        options.AllowedDomains.Add("127.0.0.1");

        var result = await new ListSpider(new Uri(redirector.Url, "/moved").AbsoluteUri).RunAsync(options);

        server.FetchCount("/pages/0").ShouldBe(1);
        result.Stats.Pages.ShouldBe(1);
    }

    [Fact]
    public async Task AllowedDomains_CoverSubdomains_ButNotLookalikes()
    {
        var scope = Trawl.Politeness.CrawlScope.From(["example.com"])!;

        scope.Allows(new Uri("https://example.com/")).ShouldBeTrue();
        scope.Allows(new Uri("http://www.EXAMPLE.com:8080/x")).ShouldBeTrue();
        scope.Allows(new Uri("http://a.b.example.com/")).ShouldBeTrue();
        scope.Allows(new Uri("http://badexample.com/")).ShouldBeFalse();
        scope.Allows(new Uri("http://example.com.evil.net/")).ShouldBeFalse();
        scope.Allows(new Uri("http://127.0.0.1/")).ShouldBeFalse();
    }

    [Fact]
    public async Task MaxPagesPerDomain_FetchesThatMany_AndRecordsTheRestAsSkipped()
    {
        await using var server = await TestSites.StartAsync(pages: 50);
        var options = Options();
        options.MaxPagesPerDomain = 5;

        var result = await new SiteSpider(server.BaseUrl).RunAsync(options);

        server.FetchCounts().Values.Sum().ShouldBe(5);
        result.Stats.Pages.ShouldBe(5);
        result.Stats.SkippedByKind["domain_limit"].ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task APerDomainPageLimit_AppliesToThatDomainOnly()
    {
        await using var server = await TestSites.StartAsync(pages: 20);
        var options = Options();
        options.Domains["localhost"] = new Trawl.Politeness.DomainSettings { MaxPages = 1 };
        var localhost = OnLocalhost(server.BaseUrl);

        var result = await new ListSpider(
            new Uri(server.BaseUrl, "/pages/0").AbsoluteUri,
            new Uri(server.BaseUrl, "/pages/1").AbsoluteUri,
            new Uri(localhost, "/pages/2").AbsoluteUri,
            new Uri(localhost, "/pages/3").AbsoluteUri).RunAsync(options);

        result.Stats.Pages.ShouldBe(3);
        result.Stats.SkippedByKind["domain_limit"].ShouldBe(1);
    }

    [Fact]
    public async Task ASpider_CanSetItsOwnPoliteness_InConfigureOptions()
    {
        await using var server = await TestSites.StartAsync(pages: 20);

        var result = await new SelfLimitingSpider(server.BaseUrl).RunAsync(Options());

        result.Stats.Pages.ShouldBe(3);
        server.FetchCount("/robots.txt").ShouldBe(1);
        server.RequestLog().Select(r => r.UserAgent).Distinct().ShouldBe(["SelfLimiting/1"]);
    }

    [Fact]
    public async Task MaxDepth_DropsDeeperLinks_AndCountsThem()
    {
        await using var server = await TestSites.StartAsync(pages: 50);
        var options = Options();
        options.MaxDepth = 1;

        var result = await new SiteSpider(server.BaseUrl).RunAsync(options);

        result.Stats.FilteredByKind["max_depth"].ShouldBeGreaterThan(0);
        result.Stats.Pages.ShouldBeLessThan(50);
    }
}
