using System.Text;
using Trawl.Sandbox;

namespace Trawl.Tests.Sandbox;

public sealed class SandboxBigPagesTests
{
    private static SandboxOptions Options() => new()
    {
        Pages = 50, QuotePages = 0, PageSize = 2048, Seed = 3, BigPages = 3, BigPageMinSize = 100_000, BigPageMaxSize = 400_000,
    };

    [Fact]
    public void BigPages_AreSpreadOverTheSite_WithSizesInTheirRange()
    {
        var big = SandboxSite.BigPages(Options());

        big.Select(page => page.Page).ShouldBe([8, 25, 41]);
        big.ShouldAllBe(page => page.Size >= 100_000 && page.Size <= 400_000);
        big.Select(page => page.Size).Distinct().Count().ShouldBe(3);
        SandboxSite.BigPages(new SandboxOptions { Pages = 5, BigPages = 5 }).Select(page => page.Page).ShouldBe([0, 1, 2, 3, 4]);
    }

    [Fact]
    public async Task BigPage_IsItsSize_WithTheUsualTop_AndNestedDocumentMarkupLinkingToOtherPages()
    {
        var options = Options();
        await using var server = await SandboxServer.StartAsync(options);
        using var client = SandboxFixture.NewClient(followRedirects: false);
        var baseUrl = server.BaseUrl.AbsoluteUri;

        foreach (var (page, size) in SandboxSite.BigPages(options))
        {
            var body = await client.GetByteArrayAsync(new Uri(server.BaseUrl, SandboxSite.PagePath(page)));
            var html = Encoding.UTF8.GetString(body);
            var baseUrlBytes = (html.Split(baseUrl).Length - 1) * baseUrl.Length;

            (body.Length - baseUrlBytes).ShouldBeInRange(size - 16, size, $"page {page}");
            html.ShouldContain($"<title>Page {page}</title>");
            html.ShouldContain($"<h1>Page {page}</h1>");
            HtmlScan.Hrefs(HtmlScan.LinkList(html)).Count.ShouldBe(options.LinksPerPage);
            html.ShouldContain("<section id=\"s-1\">");
            html.ShouldContain("<h2>Section 1: ");
            html.ShouldContain("<pre><code class=\"language-c\">");
            html.ShouldContain("</li>\n</ul>\n</li>");
            html.ShouldContain("<div class=\"note\">");
            html.ShouldEndWith("</div>\n</body>\n</html>\n");
            var bodyLinks = HtmlScan.Hrefs(html).Where(href => href.StartsWith("/pages/", StringComparison.Ordinal)).ToList();
            bodyLinks.Count.ShouldBeGreaterThan(20);
            bodyLinks.Select(href => int.Parse(href.Substring("/pages/".Length).Split('#')[0])).ShouldAllBe(target => target < options.Pages);
        }

        // The other pages are as they always were.
        var small = await client.GetByteArrayAsync(new Uri(server.BaseUrl, SandboxSite.PagePath(7)));
        small.Length.ShouldBeLessThan(3000);
    }

    [Fact]
    public async Task BigPages_AreExportedAsServed()
    {
        var options = Options();
        options.BigPages = 1;
        await using var server = await SandboxServer.StartAsync(options);
        using var client = SandboxFixture.NewClient(followRedirects: false);
        using var temp = new Support.TempDirectory();

        await SandboxExporter.ExportAsync(temp.Path, options, server.BaseUrl);

        var page = SandboxSite.BigPages(options).Single().Page;
        var exported = await File.ReadAllBytesAsync(SandboxExporter.FileFor(temp.Path, SandboxSite.PagePath(page)));
        exported.ShouldBe(await client.GetByteArrayAsync(new Uri(server.BaseUrl, SandboxSite.PagePath(page))));
    }
}
