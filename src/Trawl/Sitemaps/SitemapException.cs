namespace Trawl.Sitemaps;

/// <summary>A sitemap could not be read: <see cref="Kind"/> is its request's failure kind, and the message says why.</summary>
internal sealed class SitemapException(string kind, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The failure kind of a sitemap over 50 MB uncompressed (a gzip bomb, say).</summary>
    public const string TooLarge = "sitemap_too_large";

    /// <summary>The failure kind of a sitemap that is not one: malformed XML or gzip, a DTD (an entity attack), another root element.</summary>
    public const string Malformed = "sitemap_malformed";

    /// <summary>The failure kind its request gets.</summary>
    public string Kind { get; } = kind;
}
