using System.Runtime.CompilerServices;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Sandbox;
using Trawl.Sitemaps;
using Trawl.Spiders;

namespace Trawl.Tests.Sitemaps;

/// <summary>A C# spider's <see cref="Spider.SitemapUrls"/> and <see cref="Spider.SitemapRules"/>, and the entries' lastmod.</summary>
public sealed class SitemapSpiderTests
{
    [Fact]
    public async Task Rules_SendEachPageToItsCallback_WithItsLastmod_AndDropPagesNoRuleMatches()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { SitemapPages = 12 });
        var touched = new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
        server.TouchSitemapPage(4, touched);
        var spider = new RulesSpider(new Uri(server.BaseUrl, "/sitemaps/robots.txt").AbsoluteUri);

        var result = await spider.RunAsync(new CrawlOptions { HandleSignals = false });

        var items = result.Items.ToDictionary(item => new Uri(item["url"]!.GetValue<string>()).AbsolutePath, item => item);
        // Pages 1 to 9 match the first rule, 10 to 12 the second; none is left for ParseAsync, which would throw.
        items.Keys.Order().ShouldBe(Enumerable.Range(1, 12).Select(i => $"/sitemaps/page/{i}").Order());
        items["/sitemaps/page/3"]["kind"]!.GetValue<string>().ShouldBe("single");
        items["/sitemaps/page/11"]["kind"]!.GetValue<string>().ShouldBe("double");
        items["/sitemaps/page/4"]["lastmod"]!.GetValue<string>().ShouldBe(touched.ToString("O"));
        items["/sitemaps/page/3"]["lastmod"]!.GetValue<string>().ShouldBe(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToString("O"));
        result.Stats.Failed.ShouldBe(0);
    }

    [Fact]
    public async Task APageNoRuleMatches_IsDropped_AndCounted()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { SitemapPages = 12 });
        var spider = new RulesSpider(new Uri(server.BaseUrl, "/sitemaps/pages-b.xml").AbsoluteUri, onlySingle: true);

        var result = await spider.RunAsync(new CrawlOptions { HandleSignals = false });

        // pages-b lists 1 and the even pages: 2 to 8 and 1 match "single"; 10 and 12 match no rule.
        result.Items.Count.ShouldBe(5);
        result.Stats.FilteredByKind["sitemap_rules"].ShouldBe(2);
        server.FetchCount("/sitemaps/page/10").ShouldBe(0);
    }

    private sealed class RulesSpider(string sitemap, bool onlySingle = false) : Spider
    {
        public override IEnumerable<string> SitemapUrls => [sitemap];

        public override IReadOnlyList<SitemapRule> SitemapRules => onlySingle
            ? [new(@"/page/\d$", nameof(ParseSingle))]
            : [new(@"/page/\d$", nameof(ParseSingle)), new(@"/page/\d\d$", nameof(ParseDouble))];

        public override IAsyncEnumerable<object> ParseAsync(Response response, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("Every page has a rule.");

        public async IAsyncEnumerable<object> ParseSingle(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return Item(response, "single");
        }

        public async IAsyncEnumerable<object> ParseDouble(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return Item(response, "double");
        }

        private static object Item(Response response, string kind) =>
            new { url = response.Url.AbsoluteUri, kind, lastmod = SitemapRequests.LastModified(response.Request)?.ToString("O") };
    }
}
