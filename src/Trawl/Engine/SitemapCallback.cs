using Microsoft.Extensions.Logging;
using Trawl.Http;
using Trawl.Logging;
using Trawl.Politeness;
using Trawl.Sitemaps;
using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>
/// The built-in callback of sitemap requests (<see cref="SitemapRequests.Callback"/>): reads the sitemap as a stream and
/// yields a sitemap request per child sitemap and a page request per listed page, which <see cref="CallbackRunner"/>
/// then takes like any links (depth, allowed domains, the per-page bound, dedup, scheduled in batches). An entry on
/// another host than its sitemap is dropped unless the allowed domains cover it (<c>sitemap_offsite</c>); a page goes to
/// the spider's first matching <see cref="Spider.SitemapRules"/> callback (none: <c>sitemap_rules</c>) and carries its
/// <c>lastmod</c> in meta.
/// </summary>
/// <remarks>
/// In a re-run of a kept job (<paramref name="rerunStart"/> set), a child sitemap listed without a <c>lastmod</c> counts as
/// changed when the re-run started, so the job fetches it again once: robots.txt lines and many indexes give none.
/// </remarks>
internal sealed class SitemapCallback(Spider spider, CrawlScope? scope, StatsCollector stats, DateTimeOffset? rerunStart, ILogger logger)
{
    private readonly IReadOnlyList<SitemapRule> _rules = spider.SitemapRules ?? [];

    /// <summary>The callback: a sitemap's entries as requests.</summary>
    /// <exception cref="SitemapException">The sitemap is too large or malformed: its request fails with that kind.</exception>
    /// <exception cref="UnknownCallbackException">A rule names a callback the spider does not have.</exception>
    public IAsyncEnumerable<object> ParseAsync(Response response, CancellationToken cancellationToken) =>
        Parse(response, cancellationToken).ToAsyncEnumerable();

    private IEnumerable<object> Parse(Response response, CancellationToken cancellationToken)
    {
        var counts = new SitemapReadCounts();
        int offsite = 0, unmatched = 0, pages = 0, sitemaps = 0;
        foreach (var entry in SitemapParser.Read(response.Body, response.Url, counts))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!string.Equals(entry.Url.IdnHost, response.Url.IdnHost, StringComparison.OrdinalIgnoreCase) && scope?.Allows(entry.Url) != true)
            {
                offsite++;
                continue;
            }

            if (entry.IsSitemap)
            {
                sitemaps++;
                yield return WithLastmod(SitemapRequests.Create(entry.Url), entry.LastModified ?? rerunStart);
                continue;
            }

            if (!TryCallback(entry.Url, out var callback) || !spider.AllowsSitemapEntry(entry.Url))
            {
                unmatched++;
                continue;
            }

            pages++;
            yield return WithLastmod(new Request(entry.Url) { Callback = callback }, entry.LastModified);
        }

        Count("sitemap_offsite", offsite);
        Count("sitemap_rules", unmatched);
        Count("sitemap_invalid", counts.Invalid);
        Count("sitemap_truncated", counts.Truncated);
        if (counts.Truncated > 0)
        {
            Log.SitemapTruncated(logger, UrlRedaction.UrlForLog(response.Url), SitemapParser.MaxEntries, counts.Truncated);
        }

        Log.SitemapRead(logger, UrlRedaction.UrlForLog(response.Url), pages, sitemaps, offsite + unmatched + counts.Invalid + counts.Truncated);
    }

    private bool TryCallback(Uri url, out string? callback)
    {
        callback = null;
        if (_rules.Count == 0)
        {
            return true;
        }

        foreach (var rule in _rules)
        {
            if (rule.Matches(url))
            {
                if (!SpiderCallbacks.Exists(spider, rule.Callback))
                {
                    // Resolving names the spider's callbacks in its message.
                    SpiderCallbacks.Resolve(spider, rule.Callback);
                }

                callback = rule.Callback;
                return true;
            }
        }

        return false;
    }

    private void Count(string kind, int count)
    {
        if (count > 0)
        {
            stats.Filtered(kind, count);
        }
    }

    private static Request WithLastmod(Request request, DateTimeOffset? lastmod)
    {
        if (lastmod is { } value)
        {
            request.Meta[SitemapRequests.LastmodMeta] = SitemapRequests.Format(value);
        }

        return request;
    }
}
