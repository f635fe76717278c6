using System.Net;
using Trawl.Sandbox;

namespace Trawl.Tests.Sandbox;

public sealed class SandboxReachabilityTests
{
    [Theory]
    [InlineData(200, 10, 5, 10, 42)]
    [InlineData(300, 1, 1, 7, 7)]
    [InlineData(50, 3, 0, 10, 1)]
    public async Task BreadthFirstCrawlFromHome_FetchesExactlyReachablePaths(int pages, int links, int quotePages, int perPage, long seed)
    {
        var options = new SandboxOptions
        {
            Pages = pages, LinksPerPage = links, PageSize = 512, QuotePages = quotePages, QuotesPerPage = perPage, Seed = seed,
        };
        await using var server = await SandboxServer.StartAsync(options, CancellationToken.None);
        using var client = SandboxFixture.NewClient(followRedirects: false);

        var seen = new HashSet<string>(StringComparer.Ordinal) { "/" };
        var queue = new Queue<Uri>([server.BaseUrl]);
        while (queue.TryDequeue(out var url))
        {
            using var response = await client.GetAsync(url);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, url.ToString());
            var html = await response.Content.ReadAsStringAsync();
            foreach (var href in HtmlScan.Hrefs(html))
            {
                var next = HtmlScan.Resolve(url, href);
                next.Authority.ShouldBe(server.BaseUrl.Authority, $"{href} on {url}");
                if (seen.Add(next.PathAndQuery))
                {
                    queue.Enqueue(next);
                }
            }
        }

        var expected = SandboxSite.ReachablePaths(options);
        seen.Order(StringComparer.Ordinal).ShouldBe(expected.Order(StringComparer.Ordinal));
        expected.Count(p => p.StartsWith("/pages/", StringComparison.Ordinal)).ShouldBe(pages);
        server.FetchCounts().Keys.ShouldBe(expected, ignoreOrder: true);
        server.FetchCounts().Values.ShouldAllBe(c => c == 1);
    }

    [Fact]
    public void ReachablePaths_QuotesOff_AreHomeAndPages()
    {
        var paths = SandboxSite.ReachablePaths(new SandboxOptions { Pages = 4, QuotePages = 0 });

        paths.Order(StringComparer.Ordinal).ShouldBe(["/", "/pages/0", "/pages/1", "/pages/2", "/pages/3"]);
    }

    [Fact]
    public void ReachablePaths_FiftyThousandPages_AreAllListed()
    {
        var options = new SandboxOptions { Pages = 50_000 };

        var paths = SandboxSite.ReachablePaths(options);

        paths.ShouldContain("/pages/49999");
        paths.Count(p => p.StartsWith("/pages/", StringComparison.Ordinal)).ShouldBe(50_000);
    }

    [Fact]
    public async Task LargeSite_ServesLastPageWithoutCachingPages()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 50_000 }, CancellationToken.None);
        using var client = SandboxFixture.NewClient(followRedirects: false);

        var html = await client.GetStringAsync(new Uri(server.BaseUrl, "/pages/49999"));

        html.ShouldContain("<h1>Page 49999</h1>");
        SandboxSite.LinkTargets(new SandboxOptions { Pages = 50_000 }, 49_999)[0].ShouldBe(0);
    }
}
