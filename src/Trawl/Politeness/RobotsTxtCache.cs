using Microsoft.Extensions.Logging;
using Trawl.Downloader;
using Trawl.Http;
using Trawl.Logging;

namespace Trawl.Politeness;

/// <summary>
/// Fetches and keeps the robots.txt rules of each origin (scheme, host and port) for one crawl run. The cache itself
/// (<see cref="TryGet"/>, <see cref="Store"/>, <see cref="IsFetching"/>) belongs to the engine's dispatch loop and is not
/// thread-safe; <see cref="FetchAsync"/> touches no shared state and may run anywhere.
/// </summary>
internal sealed class RobotsTxtCache
{
    private readonly Dictionary<string, RobotsEntry> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _fetching = new(StringComparer.Ordinal);
    private readonly RobotsTxtOptions _options;
    private readonly IDownloader _downloader;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public RobotsTxtCache(RobotsTxtOptions options, string defaultUserAgent, IDownloader downloader, TimeProvider time, ILogger logger)
    {
        _options = options;
        _downloader = downloader;
        _time = time;
        _logger = logger;
        UserAgentToken = options.UserAgent ?? RobotsUserAgent.TokenOf(defaultUserAgent);
    }

    /// <summary>The product token the rules are matched with.</summary>
    public string UserAgentToken { get; }

    /// <summary>
    /// The origin of a URL: <c>scheme://host:port</c>, lower-case, an IPv6 address in brackets (<c>http://[::1]:80</c>);
    /// robots.txt is per origin.
    /// </summary>
    public static string OriginOf(Uri url)
    {
        var host = url.IdnHost.ToLowerInvariant();
        return url.HostNameType == UriHostNameType.IPv6
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{url.Scheme}://[{host}]:{url.Port}")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{url.Scheme}://{host}:{url.Port}");
    }

    /// <summary>The origin's entry, when there is one that has not expired.</summary>
    public bool TryGet(string origin, DateTimeOffset now, out RobotsEntry entry) =>
        _entries.TryGetValue(origin, out entry!) && entry.ExpiresAt > now;

    /// <summary>Marks an origin's fetch as started; <see langword="false"/> when one is running already.</summary>
    public bool BeginFetch(string origin) => _fetching.Add(origin);

    /// <summary>Whether an origin's robots.txt is being fetched.</summary>
    public bool IsFetching(string origin) => _fetching.Contains(origin);

    /// <summary>Keeps a fetched entry, ending its fetch.</summary>
    public void Store(string origin, RobotsEntry entry)
    {
        _fetching.Remove(origin);
        _entries[origin] = entry;
    }

    /// <summary>Ends a fetch that produced nothing (the run is stopping).</summary>
    public void Abandon(string origin) => _fetching.Remove(origin);

    /// <summary>
    /// Fetches the robots.txt of <paramref name="origin"/> (as from <see cref="OriginOf"/>) and says what it means for
    /// the crawl. Never throws but for cancellation of <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task<RobotsEntry> FetchAsync(string origin, CancellationToken cancellationToken)
    {
        var url = new Uri(new Uri(origin), "/robots.txt");
        var result = await _downloader.DownloadAsync(new Request(url), cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        RobotsEntry entry;
        if (result.Response is { } response)
        {
            var status = response.Status;
            if (status is >= 200 and < 300)
            {
                var rules = RobotsTxt.Parse(response.Body.Span, UserAgentToken);
                var crawlDelay = _options.HonorCrawlDelay && rules.CrawlDelay is { } asked
                    ? (asked > _options.MaxCrawlDelay ? _options.MaxCrawlDelay : asked)
                    : TimeSpan.Zero;
                entry = new RobotsEntry(rules, now + _options.CacheDuration, null, crawlDelay, $"HTTP {status}, {Wording.Count(rules.RuleCount, "rule")}");
                if (rules.CrawlDelay is { } requested && crawlDelay < requested)
                {
                    Log.RobotsCrawlDelayCapped(_logger, origin, requested, crawlDelay);
                }
            }
            else if (status == 429 || status >= 500)
            {
                entry = Unavailable(now, $"HTTP {status}");
            }
            else
            {
                entry = new RobotsEntry(RobotsTxt.AllowAll, now + _options.CacheDuration, null, TimeSpan.Zero, $"HTTP {status}: no rules");
            }
        }
        else if (result.Error is DownloadError.Redirects or DownloadError.RedirectBlocked or DownloadError.TooLarge or DownloadError.InvalidRequest)
        {
            entry = new RobotsEntry(RobotsTxt.AllowAll, now + _options.CacheDuration, null, TimeSpan.Zero, $"{result.ErrorKind}: no rules");
        }
        else if (result.Error is DownloadError.Dns or DownloadError.Refused or DownloadError.TooManyOpenFiles)
        {
            // Nothing answered (the name does not resolve, the connection was refused, or this process could not open
            // one): there is no server to assume anything of. RFC 9309's "assume disallow" is for a server that answers
            // with errors; here the requests waiting fail as their own downloads would, and are retried on their own
            // schedule, when robots.txt is asked for again.
            entry = new RobotsEntry(RobotsTxt.DisallowAll, now, null, TimeSpan.Zero, result.Message ?? result.ErrorKind) { Unreachable = result.ErrorKind };
        }
        else
        {
            entry = Unavailable(now, $"{result.ErrorKind}: {result.Message}");
        }

        if (entry.UnavailableUntil is { } until)
        {
            Log.RobotsUnavailable(_logger, origin, entry.Summary, until - now);
        }
        else
        {
            Log.RobotsFetched(_logger, origin, entry.Summary, entry.CrawlDelay);
        }

        return entry;
    }

    /// <summary>An entry for robots.txt that could not be had: everything disallowed until it is asked for again.</summary>
    public RobotsEntry Unavailable(DateTimeOffset now, string why)
    {
        var until = now + _options.UnavailableRetryDelay;
        return new RobotsEntry(RobotsTxt.DisallowAll, until, until, TimeSpan.Zero, why);
    }
}

/// <summary>What an origin's robots.txt means for the crawl, until <see cref="ExpiresAt"/>.</summary>
/// <param name="Rules">The rules that apply to this crawler.</param>
/// <param name="ExpiresAt">When robots.txt is fetched again.</param>
/// <param name="UnavailableUntil">Set when the server did not give robots.txt (5xx, 429, a timeout or a broken answer): requests wait until then.</param>
/// <param name="CrawlDelay">The <c>Crawl-delay</c> to honour (zero for none), already capped.</param>
/// <param name="Summary">What the fetch found, for logs.</param>
internal sealed record RobotsEntry(RobotsTxt Rules, DateTimeOffset ExpiresAt, DateTimeOffset? UnavailableUntil, TimeSpan CrawlDelay, string Summary)
{
    /// <summary>
    /// Set when nothing answered (the error kind: <c>dns</c>, <c>refused</c>, <c>too_many_open_files</c>): such an entry
    /// is not kept, and the requests that waited for it fail with this kind (<see cref="Summary"/> the message).
    /// </summary>
    public string? Unreachable { get; init; }
}
