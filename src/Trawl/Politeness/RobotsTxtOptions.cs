namespace Trawl.Politeness;

/// <summary>Whether and how the crawl obeys robots.txt (<see cref="Crawling.CrawlOptions.RobotsTxt"/>).</summary>
/// <remarks>
/// <para>When obeyed, robots.txt is fetched once per origin (scheme, host and port) before the first request to it,
/// and kept for the run (up to <see cref="CacheDuration"/>). Requests to that origin wait for it; other origins go on.
/// A durable job fetches it again when it resumes.</para>
/// <para>What the answer means, per RFC 9309: 2xx: its rules apply. 4xx (but 429): there are no rules; everything is
/// allowed. 5xx, 429 or no answer (timeout, refused, DNS…): everything is disallowed for now: requests to the origin
/// are retried (error kind <c>robots_unavailable</c>) no sooner than <see cref="UnavailableRetryDelay"/>, when
/// robots.txt is fetched again, and fail once their retries run out. Too many redirects, a redirect out of scope, or
/// a body over the size limit: treated as 4xx (allow all).</para>
/// <para>A disallowed request is recorded as skipped (kind <c>robots</c>, naming the rule), never fetched. The robots.txt
/// fetch itself is no page: it yields no item, does not count toward <see cref="Crawling.CrawlOptions.Limit"/>, and does not
/// pass through downloader middleware. It does take its place in the domain's delay.</para>
/// <para>Rules apply to the URL a request names, not to the hops of a redirect (which stay subject to
/// <see cref="Crawling.CrawlOptions.AllowedDomains"/>).</para>
/// </remarks>
public sealed class RobotsTxtOptions
{
    private const string Prefix = "RobotsTxt.";
    private bool _frozen;

    /// <summary>Whether robots.txt is fetched and obeyed.</summary>
    /// <value>The default is <see langword="false"/> for the library, as in Scrapy's code defaults; the <c>trawl</c>
    /// command line obeys it unless given <c>--ignore-robots</c>.</value>
    public bool Obey { get; set => field = OptionChecks.Set(_frozen, value, Prefix); }

    /// <summary>
    /// The product token matched against robots.txt <c>User-agent</c> lines, for example <c>Trawl</c>.
    /// </summary>
    /// <value>The default is <see langword="null"/>: the product token of <see cref="Downloader.DownloaderOptions.UserAgent"/>
    /// (its text up to the first <c>/</c> or space), whatever user agents are rotated.</value>
    public string? UserAgent { get; set => field = OptionChecks.Set(_frozen, value, Prefix); }

    /// <summary>
    /// Whether a robots.txt <c>Crawl-delay</c> is honoured: the domain's delay is at least that long. It is a floor
    /// the site asked for, so it is never randomized down (unlike <see cref="Crawling.CrawlOptions.DownloadDelay"/>).
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool HonorCrawlDelay { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = true;

    /// <summary>The longest <c>Crawl-delay</c> honoured; a longer one is cut to this, so a hostile file cannot stall a domain.</summary>
    /// <value>The default is 60 seconds.</value>
    public TimeSpan MaxCrawlDelay { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = TimeSpan.FromSeconds(60);

    /// <summary>How long a fetched robots.txt is used before it is fetched again (RFC 9309 asks for at most 24 hours).</summary>
    /// <value>The default is 24 hours.</value>
    public TimeSpan CacheDuration { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = TimeSpan.FromHours(24);

    /// <summary>
    /// After a 5xx, a 429 or no answer, how long everything on the origin counts as disallowed before robots.txt is
    /// fetched again; requests to it are retried no sooner.
    /// </summary>
    /// <value>The default is 60 seconds.</value>
    public TimeSpan UnavailableRetryDelay { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether <paramref name="token"/> can be a <see cref="UserAgent"/>: a product token of ASCII letters, <c>-</c> and
    /// <c>_</c>, such as <c>Trawl</c> or <c>My-Bot</c>.
    /// </summary>
    public static bool IsValidProductToken(string token) =>
        !string.IsNullOrEmpty(token) && token.All(static c => char.IsAsciiLetter(c) || c is '-' or '_');

    /// <summary>Refuses every later change.</summary>
    internal void Freeze() => _frozen = true;

    internal void Validate()
    {
        OptionChecks.Require(UserAgent is null || IsValidProductToken(UserAgent), "RobotsTxt.UserAgent", "must be a product token of letters, '-' and '_', like Trawl");
        OptionChecks.Require(MaxCrawlDelay >= TimeSpan.Zero, "RobotsTxt.MaxCrawlDelay", "must not be negative");
        OptionChecks.Require(CacheDuration > TimeSpan.Zero, "RobotsTxt.CacheDuration", "must be positive");
        OptionChecks.Require(UnavailableRetryDelay > TimeSpan.Zero, "RobotsTxt.UnavailableRetryDelay", "must be positive");
    }
}

/// <summary>Finds the product token robots.txt rules are matched with.</summary>
internal static class RobotsUserAgent
{
    /// <summary>The product token of a User-Agent header: <c>Trawl/1.0 (+https://…)</c> gives <c>Trawl</c>.</summary>
    public static string TokenOf(string userAgent)
    {
        var end = 0;
        while (end < userAgent.Length && (char.IsAsciiLetter(userAgent[end]) || userAgent[end] is '-' or '_'))
        {
            end++;
        }

        return end > 0 ? userAgent[..end] : "Trawl";
    }
}
