using System.Net;

namespace Trawl.Sandbox;

/// <summary>
/// Describes one sandbox site: how many synthetic pages it has, how they link, the quotes section, and where the
/// server listens. Two sites built from equal options serve the same pages, byte for byte, apart from the base URL
/// in absolute links.
/// </summary>
/// <remarks>
/// Options are validated once, by <see cref="SandboxServer.StartAsync"/>, <see cref="SandboxExporter.ExportAsync"/>
/// and the <see cref="SandboxSite"/> helpers, and copied: changing them afterwards does not change a running site.
/// </remarks>
public sealed class SandboxOptions
{
    /// <summary>The most synthetic pages a site may have.</summary>
    public const int MaxPages = 10_000_000;

    /// <summary>The most quotes (<see cref="QuotePages"/> times <see cref="QuotesPerPage"/>) a site may have.</summary>
    public const int MaxQuotes = 1_000_000;

    /// <summary>How many synthetic pages there are, at <c>/pages/0</c> to <c>/pages/{Pages - 1}</c>.</summary>
    /// <value>The default is 1,000. It must be between 1 and <see cref="MaxPages"/>.</value>
    public int Pages { get; set; } = 1000;

    /// <summary>How many pages the sitemap section lists, at <c>/sitemaps/page/1</c> to <c>/sitemaps/page/{SitemapPages}</c>.</summary>
    /// <value>The default is 40. It must be between 1 and 1,000,000.</value>
    public int SitemapPages { get; set; } = 40;

    /// <summary>
    /// How many links each synthetic page has in its link list, besides its link home. The first always goes to the
    /// next page (the last page links to page 0), so every page is reachable from <c>/</c>.
    /// </summary>
    /// <value>The default is 10. It must be between 1 and 1,000.</value>
    public int LinksPerPage { get; set; } = 10;

    /// <summary>
    /// The approximate size of a synthetic page's body in bytes. Filler text pads each page to within a few bytes of
    /// it; base URLs in absolute links come on top, and a page never shrinks below its markup.
    /// </summary>
    /// <value>The default is 4,096. It must be between 0 and 16 MiB.</value>
    public int PageSize { get; set; } = 4096;

    /// <summary>
    /// How many of the synthetic pages are big: documentation-like pages of <see cref="BigPageMinSize"/> to
    /// <see cref="BigPageMaxSize"/> bytes (sizes drawn from the seed), with nested sections, headings, paragraphs of
    /// text with inline markup and links to other pages, lists, notes and code blocks, besides the usual title,
    /// heading and link list. They are spread evenly over the site (<see cref="SandboxSite.BigPages"/> lists them).
    /// </summary>
    /// <value>The default is 0. It must be between 0 and <see cref="Pages"/>.</value>
    public int BigPages { get; set; }

    /// <summary>The smallest size of a big page (<see cref="BigPages"/>), in bytes.</summary>
    /// <value>The default is 1 MiB. It must be between 0 and <see cref="BigPageMaxSize"/>.</value>
    public int BigPageMinSize { get; set; } = 1 << 20;

    /// <summary>The largest size of a big page (<see cref="BigPages"/>), in bytes.</summary>
    /// <value>The default is 10 MiB. It must be at most 16 MiB (trawl's default limit on a body).</value>
    public int BigPageMaxSize { get; set; } = 10 << 20;

    /// <summary>
    /// How many pages the quotes section has, at <c>/quotes/page/1/</c> to <c>/quotes/page/{QuotePages}/</c>.
    /// 0 turns the quotes section off: <c>/quotes/</c> answers 404 and the home page does not link to it.
    /// </summary>
    /// <value>The default is 10. It must not be negative.</value>
    public int QuotePages { get; set; } = 10;

    /// <summary>How many quotes each quotes page (and each tag page) shows.</summary>
    /// <value>The default is 10. It must be between 1 and 1,000.</value>
    public int QuotesPerPage { get; set; } = 10;

    /// <summary>
    /// The IP address the server listens on, or <c>localhost</c> for 127.0.0.1. <see cref="SandboxServer.BaseUrl"/>
    /// names this address (a wildcard address is named by its loopback address).
    /// </summary>
    /// <value>The default is <c>127.0.0.1</c>.</value>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The TCP port the server listens on; 0 picks a free port.</summary>
    /// <value>The default is 0.</value>
    public int Port { get; set; }

    /// <summary>
    /// How many items the script-built section has, at <c>/app/item/0</c> to <c>/app/item/{AppPages - 1}</c>, listed by
    /// <c>/app/</c>. Every page of the section is an empty shell whose script fetches its content as JSON: only a browser
    /// sees its title, text and links. 0 turns the section off (<c>/app/…</c> answers 404 and the home page does not link
    /// to it).
    /// </summary>
    /// <value>The default is 0. It must be between 0 and 1,000,000.</value>
    public int AppPages { get; set; }

    /// <summary>Chooses the pages' links, filler text and the quotes' order and tags.</summary>
    /// <value>The default is 1.</value>
    public long Seed { get; set; } = 1;

    /// <summary>The body of <c>/robots.txt</c>, or <see langword="null"/> for a 404.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? RobotsTxt { get; set; }

    /// <summary>
    /// Whether the site's pages carry an <c>ETag</c> and a <c>Last-Modified</c> and answer <c>304 Not Modified</c> to a
    /// conditional request for the revision the client has (see <see cref="SandboxServer.ChangePage"/>).
    /// </summary>
    /// <value>The default is <see langword="false"/>: pages carry no validators, as a site that never revalidates.</value>
    public bool Validators { get; set; }

    /// <summary>
    /// Whether the server keeps <see cref="SandboxServer.RequestLog"/>. The log grows by one entry per request, so
    /// turn it off for long benchmarks; request counts are kept either way.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool EnableRequestLog { get; set; } = true;

    /// <summary>Checks every option and throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        Require(Pages is >= 1 and <= MaxPages, nameof(Pages), $"must be between 1 and {MaxPages}");
        Require(SitemapPages is >= 1 and <= 1_000_000, nameof(SitemapPages), "must be between 1 and 1000000");
        Require(LinksPerPage is >= 1 and <= 1000, nameof(LinksPerPage), "must be between 1 and 1000");
        Require(PageSize is >= 0 and <= 16 << 20, nameof(PageSize), "must be between 0 and 16 MiB");
        Require(BigPages >= 0 && BigPages <= Pages, nameof(BigPages), "must be between 0 and Pages");
        Require(BigPageMaxSize is >= 0 and <= 16 << 20, nameof(BigPageMaxSize), "must be between 0 and 16 MiB");
        Require(BigPageMinSize >= 0 && BigPageMinSize <= BigPageMaxSize, nameof(BigPageMinSize), "must be between 0 and BigPageMaxSize");
        Require(QuotePages >= 0, nameof(QuotePages), "must not be negative");
        Require(QuotesPerPage is >= 1 and <= 1000, nameof(QuotesPerPage), "must be between 1 and 1000");
        Require((long)QuotePages * QuotesPerPage <= MaxQuotes, nameof(QuotePages), $"times QuotesPerPage must not exceed {MaxQuotes}");
        Require(TryParseHost(Host, out _), nameof(Host), "must be an IP address or 'localhost'");
        Require(AppPages is >= 0 and <= 1_000_000, nameof(AppPages), "must be between 0 and 1000000");
        Require(Port is >= 0 and <= IPEndPoint.MaxPort, nameof(Port), "must be between 0 and 65535");
    }

    internal SandboxOptions Clone() => (SandboxOptions)MemberwiseClone();

    internal static bool TryParseHost(string? host, out IPAddress address)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
            return true;
        }

        if (host is not null && IPAddress.TryParse(host, out var parsed))
        {
            address = parsed;
            return true;
        }

        address = IPAddress.None;
        return false;
    }

    private static void Require(bool condition, string option, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"Sandbox option {option} {problem}.", option);
        }
    }
}
