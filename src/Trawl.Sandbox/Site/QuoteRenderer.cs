using System.Globalization;
using System.Text;

namespace Trawl.Sandbox.Site;

/// <summary>Renders the quotes section, shaped like quotes.toscrape.com under <c>/quotes/</c>.</summary>
internal static class QuoteRenderer
{
    /// <summary>Renders page <paramref name="page"/> (from 1) of all quotes, or <see langword="null"/> when there is no such page.</summary>
    public static PooledBytes? ListPage(SiteModel site, int page)
    {
        if (!site.HasQuotes || page < 1 || page > site.Options.QuotePages)
        {
            return null;
        }

        var catalog = site.Quotes;
        var first = (page - 1) * catalog.QuotesPerPage;
        var html = Start("Quotes to Scrape");
        for (var k = first; k < first + catalog.QuotesPerPage; k++)
        {
            AppendQuote(html, catalog.All[k]);
        }

        AppendPager(html, "/quotes/page/", page, site.Options.QuotePages);
        return End(html);
    }

    /// <summary>Renders page <paramref name="page"/> (from 1) of one tag's quotes, or <see langword="null"/> when there is no such page.</summary>
    public static PooledBytes? TagPage(SiteModel site, string tag, int page)
    {
        if (!site.HasQuotes || !site.Quotes.QuotesByTag.TryGetValue(tag, out var indexes))
        {
            return null;
        }

        var catalog = site.Quotes;
        var pages = catalog.PageCount(indexes.Length);
        if (page < 1 || page > pages)
        {
            return null;
        }

        var html = Start("Quotes to Scrape");
        html.Append("<h3>Viewing tag: <a href=\"/quotes/tag/").AppendText(tag).Append("/\">").AppendText(tag).Append("</a></h3>\n");
        var first = (page - 1) * catalog.QuotesPerPage;
        for (var k = first; k < Math.Min(first + catalog.QuotesPerPage, indexes.Length); k++)
        {
            AppendQuote(html, catalog.All[indexes[k]]);
        }

        AppendPager(html, $"/quotes/tag/{tag}/page/", page, pages);
        return End(html);
    }

    /// <summary>Renders an author's page, or <see langword="null"/> when no quote is by that author.</summary>
    public static PooledBytes? AuthorPage(SiteModel site, string slug)
    {
        if (!site.HasQuotes || !site.Quotes.AuthorsBySlug.TryGetValue(slug, out var author))
        {
            return null;
        }

        var html = Start(author.Name);
        html.Append("<div class=\"author-details\">\n<h3 class=\"author-title\">").AppendText(author.Name).Append("</h3>\n")
            .Append("<p><strong>Born:</strong> <span class=\"author-born-date\">").AppendText(author.BornDate)
            .Append("</span> <span class=\"author-born-location\">").AppendText(author.BornLocation).Append("</span></p>\n")
            .Append("<p><strong>Description:</strong></p>\n<div class=\"author-description\">").AppendText(author.Description)
            .Append("</div>\n</div>\n");
        return End(html);
    }

    private static StringBuilder Start(string title)
    {
        var html = Html.RentBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").AppendText(title)
            .Append("</title>\n</head>\n<body>\n<div class=\"container\">\n")
            .Append("<div class=\"header\"><h1><a href=\"/quotes/\">Quotes to Scrape</a></h1> <p><a href=\"/\">Home</a></p></div>\n");
        return html;
    }

    private static PooledBytes End(StringBuilder html)
    {
        html.Append("</div>\n</body>\n</html>\n");
        return Html.ToUtf8AndReturn(html);
    }

    private static void AppendQuote(StringBuilder html, SandboxQuote quote)
    {
        html.Append("<div class=\"quote\">\n<span class=\"text\">").AppendText(quote.Text).Append("</span>\n")
            .Append("<span>by <small class=\"author\">").AppendText(quote.Author).Append("</small> <a href=\"/quotes/author/")
            .AppendText(quote.AuthorSlug).Append("/\">(about)</a></span>\n<div class=\"tags\">Tags:");
        foreach (var tag in quote.Tags)
        {
            html.Append(" <a class=\"tag\" href=\"/quotes/tag/").AppendText(tag).Append("/\">").AppendText(tag).Append("</a>");
        }

        html.Append("</div>\n</div>\n");
    }

    private static void AppendPager(StringBuilder html, string prefix, int page, int pages)
    {
        html.Append("<nav><ul class=\"pager\">\n");
        if (page > 1)
        {
            html.Append(CultureInfo.InvariantCulture, $"<li class=\"previous\"><a href=\"{prefix}{page - 1}/\"><span aria-hidden=\"true\">←</span> Previous</a></li>\n");
        }

        if (page < pages)
        {
            html.Append(CultureInfo.InvariantCulture, $"<li class=\"next\"><a href=\"{prefix}{page + 1}/\">Next <span aria-hidden=\"true\">→</span></a></li>\n");
        }

        html.Append("</ul></nav>\n");
    }
}
