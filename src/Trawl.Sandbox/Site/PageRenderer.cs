using System.Globalization;
using System.Text;

namespace Trawl.Sandbox.Site;

/// <summary>How a link on a synthetic page spells its target; all forms resolve to <c>/pages/{target}</c>.</summary>
internal enum LinkForm
{
    /// <summary><c>/pages/{j}</c></summary>
    RootRelative,

    /// <summary><c>{j}</c>, relative to <c>/pages/{i}</c>.</summary>
    Relative,

    /// <summary><c>../pages/{j}</c></summary>
    ParentRelative,

    /// <summary><c>./{j}</c></summary>
    DotRelative,

    /// <summary><c>{base}pages/{j}</c></summary>
    Absolute,

    /// <summary><c>/pages/{j}#part-{n}</c></summary>
    Fragment,
}

/// <summary>One link of a synthetic page. A duplicate link repeats the one before it exactly.</summary>
internal readonly record struct PageLink(int Target, LinkForm Form, int FragmentId, bool IsDuplicate);

/// <summary>Renders the home page and the synthetic pages.</summary>
internal static class PageRenderer
{
    private const string Tail = "</p>\n</body>\n</html>\n";

    /// <summary>The words filler text is made of.</summary>
    internal static readonly string[] Words =
    [
        "anchor", "binder", "canal", "cipher", "copper", "current", "delta", "drift", "ember", "fathom", "ferry",
        "field", "garnet", "gravel", "harbor", "hollow", "index", "inlet", "jetty", "kestrel", "lantern", "ledger",
        "linen", "marsh", "meadow", "mirror", "needle", "north", "orchard", "paper", "pebble", "quarry", "quill",
        "raven", "ribbon", "river", "saddle", "signal", "silver", "spindle", "tally", "thread", "timber", "trawl",
        "tunnel", "umber", "valley", "velvet", "willow", "winter", "yarrow", "zephyr",
    ];

    /// <summary>The path of synthetic page <paramref name="index"/>.</summary>
    public static string PagePath(int index) => string.Create(CultureInfo.InvariantCulture, $"/pages/{index}");

    /// <summary>The synthetic pages the home page links to, besides page 0.</summary>
    public static IEnumerable<int> HomeSample(int pages) =>
        Enumerable.Range(1, 4).Select(k => (int)((long)pages * k / 5)).Where(p => p > 0).Distinct();

    /// <summary>
    /// The links of page <paramref name="index"/>, in order. The first goes to the next page (the last page's to
    /// page 0); the others go to pages drawn from the seed, in a mix of spellings, with some exact duplicates.
    /// </summary>
    public static PageLink[] Links(SiteModel site, int index)
    {
        var count = site.Options.LinksPerPage;
        var random = new SplitMix64(site.Options.Seed, RandomStreams.Links, index);
        var links = new PageLink[count];
        for (var k = 0; k < count; k++)
        {
            var target = k == 0 ? (index + 1) % site.Pages : random.NextInt(site.Pages);
            var roll = random.NextInt(20);
            if (roll == 19 && k > 0)
            {
                links[k] = links[k - 1] with { IsDuplicate = true };
                continue;
            }

            var form = roll switch
            {
                < 10 => LinkForm.RootRelative,
                < 12 => LinkForm.Relative,
                < 14 => LinkForm.ParentRelative,
                < 15 => LinkForm.DotRelative,
                < 17 => LinkForm.Absolute,
                _ => LinkForm.Fragment,
            };
            links[k] = new PageLink(target, form, k, IsDuplicate: false);
        }

        return links;
    }

    public static PooledBytes Home(SiteModel site)
    {
        var html = Html.RentBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Trawl sandbox</title>\n</head>\n<body>\n")
            .Append("<h1>Trawl sandbox</h1>\n")
            .Append(CultureInfo.InvariantCulture, $"<p>A deterministic synthetic site of {site.Pages} pages.</p>\n")
            .Append("<ul class=\"links\">\n<li><a href=\"/pages/0\">Page 0</a></li>\n");
        if (site.HasQuotes)
        {
            html.Append("<li><a href=\"/quotes/\">Quotes</a></li>\n");
        }

        if (site.HasApp)
        {
            html.Append("<li><a href=\"/app/\">App</a></li>\n");
        }

        foreach (var page in HomeSample(site.Pages))
        {
            html.Append(CultureInfo.InvariantCulture, $"<li><a href=\"/pages/{page}\">Page {page}</a></li>\n");
        }

        html.Append("</ul>\n</body>\n</html>\n");
        return Html.ToUtf8AndReturn(html);
    }

    /// <summary>Renders synthetic page <paramref name="index"/>; <paramref name="baseUrl"/> (ending in <c>/</c>) starts absolute links.</summary>
    public static PooledBytes Page(SiteModel site, int index, string baseUrl)
    {
        if (site.IsBig(index))
        {
            return BigPageRenderer.Page(site, index, baseUrl);
        }

        var html = Html.RentBuilder();
        var baseUrlChars = AppendTop(html, site, index, baseUrl);
        html.Append("<p class=\"content\">");
        AppendFiller(html, site, index, site.Options.PageSize - (html.Length - baseUrlChars) - Tail.Length);
        html.Append(Tail);
        return Html.ToUtf8AndReturn(html);
    }

    /// <summary>
    /// Appends what every synthetic page starts with: the head with its title, the link home, the <c>h1</c> and the
    /// link list. Returns how many of the characters are base URLs of absolute links, which size budgets leave out so
    /// that a page's filler is the same whichever port serves it.
    /// </summary>
    public static int AppendTop(StringBuilder html, SiteModel site, int index, string baseUrl)
    {
        html.Append(CultureInfo.InvariantCulture, $"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Page {index}</title>\n</head>\n<body>\n")
            .Append("<p class=\"nav\"><a href=\"/\">Home</a></p>\n")
            .Append(CultureInfo.InvariantCulture, $"<h1>Page {index}</h1>\n<ul class=\"links\">\n");

        var baseUrlChars = 0;
        foreach (var link in Links(site, index))
        {
            html.Append("<li><a href=\"");
            baseUrlChars += AppendHref(html, link, baseUrl);
            html.Append(CultureInfo.InvariantCulture, $"\">Page {link.Target}</a></li>\n");
        }

        html.Append("</ul>\n");
        return baseUrlChars;
    }

    private static int AppendHref(StringBuilder html, PageLink link, string baseUrl)
    {
        var target = link.Target;
        switch (link.Form)
        {
            case LinkForm.Relative:
                html.Append(target);
                return 0;
            case LinkForm.ParentRelative:
                html.Append("../pages/").Append(target);
                return 0;
            case LinkForm.DotRelative:
                html.Append("./").Append(target);
                return 0;
            case LinkForm.Absolute:
                html.Append(baseUrl).Append("pages/").Append(target);
                return baseUrl.Length;
            case LinkForm.Fragment:
                html.Append("/pages/").Append(target).Append("#part-").Append(link.FragmentId);
                return 0;
            default:
                html.Append("/pages/").Append(target);
                return 0;
        }
    }

    private static void AppendFiller(StringBuilder html, SiteModel site, int index, int budget)
    {
        var random = new SplitMix64(site.Options.Seed, RandomStreams.Filler, index);
        var used = 0;
        while (true)
        {
            var word = Words[random.NextInt(Words.Length)];
            var needed = used == 0 ? word.Length : word.Length + 1;
            if (used + needed > budget)
            {
                return;
            }

            if (used > 0)
            {
                html.Append(' ');
            }

            html.Append(word);
            used += needed;
        }
    }
}
