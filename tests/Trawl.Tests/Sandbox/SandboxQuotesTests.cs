using System.Net;
using System.Text.RegularExpressions;
using Trawl.Sandbox;

namespace Trawl.Tests.Sandbox;

public sealed partial class SandboxQuotesTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    private sealed record ScrapedQuote(string Text, string Author, string AuthorHref, IReadOnlyList<string> Tags, IReadOnlyList<string> TagHrefs);

    [Fact]
    public void Quotes_AreNumberedUniqueAndSpreadOverPages()
    {
        var quotes = SandboxSite.Quotes(sandbox.Options);

        quotes.Count.ShouldBe(50);
        quotes.Select(q => q.Text).Distinct().Count().ShouldBe(50);
        quotes.Select(q => q.Number).ShouldBe(Enumerable.Range(1, 50));
        quotes.Select(q => q.Page).Distinct().ShouldBe([1, 2, 3, 4, 5]);
        quotes.ShouldAllBe(q => q.Text.StartsWith('“') && q.Text.EndsWith($" (#{q.Number})”"));
        quotes.ShouldAllBe(q => q.Tags.Count >= 1 && q.Tags.Count <= 4);
        quotes.ShouldContain(q => q.Text.Contains('é') || q.Text.Contains('’'));
    }

    [Fact]
    public async Task ListingPages_ShowExactlyTheExpectedQuotes()
    {
        var expected = SandboxSite.Quotes(sandbox.Options);

        for (var page = 1; page <= sandbox.Options.QuotePages; page++)
        {
            var scraped = Scrape(await sandbox.GetStringAsync($"/quotes/page/{page}/"));
            var onPage = expected.Where(q => q.Page == page).ToList();

            scraped.Select(q => q.Text).ShouldBe(onPage.Select(q => q.Text));
            scraped.Select(q => q.Author).ShouldBe(onPage.Select(q => q.Author));
            scraped.Select(q => q.AuthorHref).ShouldBe(onPage.Select(q => $"/quotes/author/{q.AuthorSlug}/"));
            for (var i = 0; i < onPage.Count; i++)
            {
                scraped[i].Tags.ShouldBe(onPage[i].Tags);
                scraped[i].TagHrefs.ShouldBe(onPage[i].Tags.Select(t => $"/quotes/tag/{t}/"));
            }
        }
    }

    [Fact]
    public async Task ListingPages_WriteSomeCharactersAsEntitiesAndSomeRaw()
    {
        var raw = string.Concat(await Task.WhenAll(
            Enumerable.Range(1, sandbox.Options.QuotePages).Select(p => sandbox.GetStringAsync($"/quotes/page/{p}/"))));

        raw.ShouldContain("<span class=\"text\">“");
        raw.ShouldContain("&#8217;");
        raw.ShouldContain("&eacute;");
        raw.ShouldContain("&amp;");
        raw.ShouldContain("ü");
    }

    [Fact]
    public async Task QuotesRoot_IsPageOne()
    {
        (await sandbox.GetStringAsync("/quotes/")).ShouldBe(await sandbox.GetStringAsync("/quotes/page/1/"));
    }

    [Fact]
    public async Task Pager_HasNextExceptOnLastPage_AndPreviousExceptOnFirst()
    {
        var first = await sandbox.GetStringAsync("/quotes/page/1/");
        var middle = await sandbox.GetStringAsync("/quotes/page/3/");
        var last = await sandbox.GetStringAsync($"/quotes/page/{sandbox.Options.QuotePages}/");

        first.ShouldNotContain("<li class=\"previous\">");
        first.ShouldContain("<li class=\"next\"><a href=\"/quotes/page/2/\">Next <span aria-hidden=\"true\">→</span></a></li>");
        middle.ShouldContain("<li class=\"previous\"><a href=\"/quotes/page/2/\">");
        middle.ShouldContain("<li class=\"next\"><a href=\"/quotes/page/4/\">");
        last.ShouldContain("<ul class=\"pager\">");
        last.ShouldContain("<li class=\"previous\">");
        last.ShouldNotContain("<li class=\"next\">");
    }

    [Fact]
    public async Task AuthorPages_MatchAuthors()
    {
        var authors = SandboxSite.Authors(sandbox.Options);
        authors.Select(a => a.Slug).ShouldBe(SandboxSite.Quotes(sandbox.Options).Select(q => q.AuthorSlug).Distinct(), ignoreOrder: true);

        foreach (var author in authors)
        {
            var html = await sandbox.GetStringAsync($"/quotes/author/{author.Slug}/");

            Field(html, "<h3 class=\"author-title\">", "</h3>").ShouldBe(author.Name);
            Field(html, "<span class=\"author-born-date\">", "</span>").ShouldBe(author.BornDate);
            Field(html, "<span class=\"author-born-location\">", "</span>").ShouldBe(author.BornLocation);
            Field(html, "<div class=\"author-description\">", "</div>").ShouldBe(author.Description);
        }
    }

    [Fact]
    public async Task TagPages_ListEveryQuoteWithTheTag_AcrossTheirPages()
    {
        var quotes = SandboxSite.Quotes(sandbox.Options);
        var multiPageTags = 0;

        foreach (var tag in quotes.SelectMany(q => q.Tags).Distinct())
        {
            var scraped = new List<string>();
            var url = $"/quotes/tag/{tag}/";
            var pages = 0;
            while (true)
            {
                var html = await sandbox.GetStringAsync(url);
                pages++;
                html.ShouldContain($"<h3>Viewing tag: <a href=\"/quotes/tag/{tag}/\">{tag}</a></h3>");
                scraped.AddRange(Scrape(html).Select(q => q.Text));
                var next = NextHref().Match(html);
                if (!next.Success)
                {
                    break;
                }

                url = next.Groups[1].Value;
            }

            multiPageTags += pages > 1 ? 1 : 0;
            scraped.ShouldBe(quotes.Where(q => q.Tags.Contains(tag)).Select(q => q.Text), tag);
        }

        multiPageTags.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task QuotesOff_QuotesSectionIs404_AndHomeDoesNotLinkIt()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 5, QuotePages = 0 }, CancellationToken.None);
        using var client = SandboxFixture.NewClient(followRedirects: false);

        using var response = await client.GetAsync(new Uri(server.BaseUrl, "/quotes/"));

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        HtmlScan.Hrefs(await client.GetStringAsync(server.BaseUrl)).ShouldNotContain("/quotes/");
        SandboxSite.Quotes(new SandboxOptions { QuotePages = 0 }).ShouldBeEmpty();
    }

    private static List<ScrapedQuote> Scrape(string html) =>
    [
        .. QuoteBlock().Matches(html).Select(m => new ScrapedQuote(
            WebUtility.HtmlDecode(m.Groups["text"].Value),
            WebUtility.HtmlDecode(m.Groups["author"].Value),
            m.Groups["about"].Value,
            [.. TagLink().Matches(m.Groups["tags"].Value).Select(t => WebUtility.HtmlDecode(t.Groups["tag"].Value))],
            [.. TagLink().Matches(m.Groups["tags"].Value).Select(t => t.Groups["href"].Value)])),
    ];

    private static string Field(string html, string open, string close)
    {
        var start = html.IndexOf(open, StringComparison.Ordinal);
        start.ShouldBeGreaterThanOrEqualTo(0, open);
        start += open.Length;
        return WebUtility.HtmlDecode(html[start..html.IndexOf(close, start, StringComparison.Ordinal)]);
    }

    [GeneratedRegex("<div class=\"quote\">\\s*<span class=\"text\">(?<text>[^<]*)</span>\\s*<span>by <small class=\"author\">(?<author>[^<]*)</small> <a href=\"(?<about>[^\"]*)\">\\(about\\)</a></span>\\s*<div class=\"tags\">Tags:(?<tags>.*?)</div>", RegexOptions.Singleline)]
    private static partial Regex QuoteBlock();

    [GeneratedRegex("<a class=\"tag\" href=\"(?<href>[^\"]*)\">(?<tag>[^<]*)</a>")]
    private static partial Regex TagLink();

    [GeneratedRegex("<li class=\"next\"><a href=\"([^\"]*)\">")]
    private static partial Regex NextHref();
}
