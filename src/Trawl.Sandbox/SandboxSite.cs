using Trawl.Sandbox.Site;

namespace Trawl.Sandbox;

/// <summary>
/// What a sandbox site built from some <see cref="SandboxOptions"/> contains, computed without a server, so tests
/// can check that a crawl found everything and nothing else.
/// </summary>
/// <remarks>
/// <para>
/// A <em>page</em> of the site is an HTML document reachable from <c>/</c> by following <c>a[href]</c> links, after
/// resolving each link against its page and dropping the fragment. They are:
/// </para>
/// <list type="bullet">
/// <item>the home page <c>/</c>;</item>
/// <item>the synthetic pages <c>/pages/0</c> to <c>/pages/{Pages - 1}</c>;</item>
/// <item>when <see cref="SandboxOptions.QuotePages"/> is positive, the quotes section: <c>/quotes/</c>, the listing
/// pages <c>/quotes/page/{n}/</c>, one author page <c>/quotes/author/{slug}/</c> per author with a quote, and per
/// tag <c>/quotes/tag/{tag}/</c> with its own listing pages <c>/quotes/tag/{tag}/page/{n}/</c>. Like
/// quotes.toscrape.com, <c>/quotes/</c> and <c>/quotes/page/1/</c> show the same quotes at two URLs; the second is
/// reachable (through page 2's "previous" link) only when the listing has at least two pages.</item>
/// </list>
/// <para>
/// Not pages: <c>/robots.txt</c> and the <c>/trap/…</c> endpoints, which no page links to.
/// </para>
/// </remarks>
public static class SandboxSite
{
    /// <summary>The path of synthetic page <paramref name="index"/>: <c>/pages/{index}</c>.</summary>
    public static string PagePath(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return PageRenderer.PagePath(index);
    }

    /// <summary>The paths of the pages the sitemap section lists (<c>/sitemaps/page/1</c> on), each once.</summary>
    public static IReadOnlyList<string> SitemapListedPaths(SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Sitemaps.SitemapSection.ListedPaths(options.SitemapPages);
    }

    /// <summary>
    /// The path (absolute path, no query, no fragment) of every page of the site, as described in the
    /// <see cref="SandboxSite"/> remarks. A crawl of the whole site from <c>/</c> fetches exactly these.
    /// </summary>
    public static IReadOnlySet<string> ReachablePaths(SandboxOptions options) =>
        SiteRoutes.Paths(new SiteModel(options)).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// The synthetic pages that page <paramref name="page"/> links to, in document order, as indexes; duplicate
    /// links appear twice. The link home (<c>/</c>) is not included. The first target is always the next page
    /// (the last page's is page 0).
    /// </summary>
    public static IReadOnlyList<int> LinkTargets(SandboxOptions options, int page)
    {
        var site = new SiteModel(options);
        ArgumentOutOfRangeException.ThrowIfNegative(page);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(page, site.Pages);
        return [.. PageRenderer.Links(site, page).Select(l => l.Target)];
    }

    /// <summary>
    /// The big synthetic pages (<see cref="SandboxOptions.BigPages"/>), as indexes in increasing order, with the size
    /// each is rendered to (in bytes, leaving out the base URLs of its absolute links).
    /// </summary>
    public static IReadOnlyList<(int Page, int Size)> BigPages(SandboxOptions options)
    {
        var site = new SiteModel(options);
        return [.. SiteModel.BigPageIndexes(site.Pages, site.Options.BigPages).Select(page => (page, BigPageRenderer.SizeOf(site, page)))];
    }

    /// <summary>Every quote of the quotes section, in page order (empty when the section is off).</summary>
    public static IReadOnlyList<SandboxQuote> Quotes(SandboxOptions options)
    {
        var site = new SiteModel(options);
        return site.HasQuotes ? site.Quotes.All : [];
    }

    /// <summary>The authors that have an author page, in order of their first quote.</summary>
    public static IReadOnlyList<SandboxAuthor> Authors(SandboxOptions options)
    {
        var site = new SiteModel(options);
        return site.HasQuotes ? site.Quotes.Authors : [];
    }

    /// <summary>
    /// The script-built pages of the app section (empty when <see cref="SandboxOptions.AppPages"/> is 0): its index
    /// <c>/app/</c>, then every item <c>/app/item/{i}</c>, each with the title and summary its script writes into
    /// <c>h1.title</c> and <c>p.summary</c>. A crawl over plain HTTP sees none of it: every one is a shell reading
    /// "Loading…", and the items are linked only by script (the index lists them all; each item links to the next, to one
    /// drawn from the seed, and to the plain page <c>/pages/{i mod Pages}</c>).
    /// </summary>
    public static IReadOnlyList<SandboxAppPage> AppPages(SandboxOptions options)
    {
        var site = new SiteModel(options);
        if (!site.HasApp)
        {
            return [];
        }

        return [new SandboxAppPage("/app/", "App index", null), .. Enumerable.Range(0, site.Options.AppPages).Select(i => new SandboxAppPage(AppSection.ItemPath(i), AppSection.ItemTitle(i), AppSection.ItemSummary(site, i)))];
    }

    /// <summary>The charsets <c>/trap/charset/{name}</c> serves, lower case, for example <c>shift_jis</c>.</summary>
    public static IReadOnlyList<string> CharsetNames => CharsetSamples.Names;

    /// <summary>
    /// The text of <c>p#sample</c> on <c>/trap/charset/{charset}</c>: non-ASCII text that the charset can encode,
    /// so a page decoded with the wrong charset shows different text.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="charset"/> is not one of <see cref="CharsetNames"/>.</exception>
    public static string CharsetSample(string charset)
    {
        ArgumentNullException.ThrowIfNull(charset);
        return CharsetSamples.TryGet(charset, out _, out var text, out _)
            ? text
            : throw new ArgumentException($"The sandbox has no sample for charset '{charset}'.", nameof(charset));
    }
}

/// <summary>A page of the sandbox's script-built section, as a browser sees it once its script ran.</summary>
/// <param name="Path">Its path, such as <c>/app/item/3</c>.</param>
/// <param name="Title">The text of its <c>h1.title</c>.</param>
/// <param name="Summary">The text of its <c>p.summary</c>, or <see langword="null"/> for the index, which has none.</param>
public sealed record SandboxAppPage(string Path, string Title, string? Summary);
