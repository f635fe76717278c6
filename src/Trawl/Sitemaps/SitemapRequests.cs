using System.Globalization;
using Trawl.Http;

namespace Trawl.Sitemaps;

/// <summary>
/// Sitemap requests: ordinary durable requests whose callback is the engine's built-in sitemap reader, so they go through
/// politeness, robots.txt, retries, the job and Redis leases like any other.
/// </summary>
public static class SitemapRequests
{
    /// <summary>
    /// The callback name of a sitemap request. It is no valid method name, so it never clashes with a spider's
    /// callbacks.
    /// </summary>
    public const string Callback = "trawl:sitemap";

    /// <summary>
    /// The <see cref="Request.Meta"/> key of a sitemap entry's <c>lastmod</c>, as an ISO 8601 UTC string
    /// (<c>2024-05-01T10:00:00Z</c>, with milliseconds when it has any); read it with <see cref="LastModified(Request)"/>.
    /// </summary>
    public const string LastmodMeta = "sitemap_lastmod";

    /// <summary>A request for the sitemap, sitemap index or robots.txt at <paramref name="url"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="url"/> is not an absolute http or https URL.</exception>
    public static Request Create(string url) => new(url) { Callback = Callback };

    /// <summary>A request for the sitemap, sitemap index or robots.txt at <paramref name="url"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="url"/> is not an absolute http or https URL.</exception>
    public static Request Create(Uri url) => new(url) { Callback = Callback };

    /// <summary>Whether the request is a sitemap request.</summary>
    public static bool IsSitemap(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return string.Equals(request.Callback, Callback, StringComparison.Ordinal);
    }

    /// <summary>The <c>lastmod</c> of the sitemap entry a request was made from, or <see langword="null"/> when it has none.</summary>
    public static DateTimeOffset? LastModified(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RequestMeta.TryGetString(request, LastmodMeta) is { } text
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value
            : null;
    }

    /// <summary>
    /// Whether a request a kept job already has is still worth storing: it carries a <c>lastmod</c>, so the job refetches
    /// it when it was last fetched before that.
    /// </summary>
    internal static bool MayRefetch(Request request) => request.HasMeta && request.Meta.ContainsKey(LastmodMeta);

    /// <summary>Writes a lastmod as the meta value, to the millisecond when it has any: a re-run's start, compared with
    /// fetch times in milliseconds, must not be rounded down below a fetch made in the same second.</summary>
    internal static string Format(DateTimeOffset lastmod) =>
        lastmod.UtcDateTime.ToString(lastmod.Millisecond == 0 ? "yyyy-MM-ddTHH:mm:ssZ" : "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
