using System.Text.RegularExpressions;

namespace Trawl.Sitemaps;

/// <summary>
/// Sends the sitemap entries whose URL matches a pattern to a callback, like Scrapy's <c>sitemap_rules</c>. A spider's
/// rules are tried in order and the first match wins; an entry no rule matches is dropped (counted as
/// <c>sitemap_rules</c>).
/// </summary>
/// <example>
/// <code>
/// public override IReadOnlyList&lt;SitemapRule&gt; SitemapRules =>
/// [
///     new("/product/", nameof(ParseProduct)),
///     new("", null), // everything else to ParseAsync
/// ];
/// </code>
/// </example>
public sealed class SitemapRule
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Creates a rule.</summary>
    /// <param name="pattern">A regular expression searched for in the entry's absolute URL; an empty one matches every URL.</param>
    /// <param name="callback">The name of the spider method that parses the matching pages (<c>nameof(ParseProduct)</c>), or
    /// <see langword="null"/> for <c>ParseAsync</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> is not a valid regular expression.</exception>
    public SitemapRule(string pattern, string? callback)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        Pattern = new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout);
        Callback = callback;
    }

    /// <summary>The pattern searched for in an entry's absolute URL.</summary>
    public Regex Pattern { get; }

    /// <summary>The callback's name, or <see langword="null"/> for <c>ParseAsync</c>.</summary>
    public string? Callback { get; }

    /// <summary>Whether the rule matches the URL; a match that times out is no match.</summary>
    internal bool Matches(Uri url)
    {
        try
        {
            return Pattern.IsMatch(url.AbsoluteUri);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
