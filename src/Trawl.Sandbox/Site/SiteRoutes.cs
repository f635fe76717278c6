using System.Globalization;

namespace Trawl.Sandbox.Site;

/// <summary>
/// Maps the paths of the site's pages (home, synthetic pages, quotes section) to their HTML. The server and the
/// static exporter both render through here, so an export holds exactly what the server serves.
/// </summary>
internal static class SiteRoutes
{
    /// <summary>Renders the page at <paramref name="path"/>, or returns <see langword="null"/> when the site has no such page.</summary>
    public static PooledBytes? Render(SiteModel site, string path, string baseUrl)
    {
        if (path == "/")
        {
            return PageRenderer.Home(site);
        }

        if (path.StartsWith("/pages/", StringComparison.Ordinal))
        {
            return TryParseNumber(path.AsSpan("/pages/".Length), out var index) && index < site.Pages
                ? PageRenderer.Page(site, index, baseUrl)
                : null;
        }

        if (path.StartsWith("/quotes/", StringComparison.Ordinal))
        {
            return RenderQuotes(site, path.AsSpan("/quotes/".Length));
        }

        return null;
    }

    /// <summary>Every path reachable from <c>/</c> by following links: home, synthetic pages, the app section's index shell, quotes section.</summary>
    public static IEnumerable<string> Paths(SiteModel site)
    {
        yield return "/";
        for (var i = 0; i < site.Pages; i++)
        {
            yield return PageRenderer.PagePath(i);
        }

        if (site.HasApp)
        {
            // The section's index shell is linked from home; its items are linked only by script.
            yield return AppSection.Prefix;
        }

        if (!site.HasQuotes)
        {
            yield break;
        }

        yield return "/quotes/";
        foreach (var path in PagerPaths("/quotes/page/", site.Options.QuotePages))
        {
            yield return path;
        }

        var catalog = site.Quotes;
        foreach (var author in catalog.Authors)
        {
            yield return $"/quotes/author/{author.Slug}/";
        }

        foreach (var tag in catalog.Tags)
        {
            yield return $"/quotes/tag/{tag}/";
            foreach (var path in PagerPaths($"/quotes/tag/{tag}/page/", catalog.PageCount(catalog.QuotesByTag[tag].Length)))
            {
                yield return path;
            }
        }
    }

    /// <summary>
    /// Parses a page number the way the site writes it: decimal digits, no sign, no leading zeros. Any other
    /// spelling is not a page, so every page has exactly one URL.
    /// </summary>
    public static bool TryParseNumber(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        if (text.IsEmpty || (text[0] == '0' && text.Length > 1))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    // Page 1 of a listing is its bare address; page 1 under /page/ is reachable only through page 2's "previous".
    private static IEnumerable<string> PagerPaths(string prefix, int pages)
    {
        for (var n = pages >= 2 ? 1 : 2; n <= pages; n++)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{prefix}{n}/");
        }
    }

    private static PooledBytes? RenderQuotes(SiteModel site, ReadOnlySpan<char> rest)
    {
        if (rest.IsEmpty)
        {
            return QuoteRenderer.ListPage(site, 1);
        }

        if (rest[^1] != '/')
        {
            return null;
        }

        Span<Range> parts = stackalloc Range[5];
        var body = rest[..^1];
        var count = body.Split(parts, '/');
        if (count > 4)
        {
            return null;
        }

        var first = body[parts[0]];
        return count switch
        {
            2 when first.SequenceEqual("page") && TryParseNumber(body[parts[1]], out var n) => QuoteRenderer.ListPage(site, n),
            2 when first.SequenceEqual("author") => QuoteRenderer.AuthorPage(site, body[parts[1]].ToString()),
            2 when first.SequenceEqual("tag") => QuoteRenderer.TagPage(site, body[parts[1]].ToString(), 1),
            4 when first.SequenceEqual("tag") && body[parts[2]].SequenceEqual("page") && TryParseNumber(body[parts[3]], out var n)
                => QuoteRenderer.TagPage(site, body[parts[1]].ToString(), n),
            _ => null,
        };
    }
}
