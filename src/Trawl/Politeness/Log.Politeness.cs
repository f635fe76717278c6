using Microsoft.Extensions.Logging;

namespace Trawl;

// Politeness and control's part of the library's one log-message class: event ids 1500-1599. URLs and origins passed
// here have gone through Logging.UrlRedaction.UrlForLog (origins carry no user info); proxies are logged without
// credentials, never with them.
internal static partial class Log
{
    [LoggerMessage(1500, LogLevel.Debug, "robots.txt of {Origin}: {Summary}; Crawl-delay {CrawlDelay}.")]
    public static partial void RobotsFetched(ILogger logger, string origin, string summary, TimeSpan crawlDelay);

    [LoggerMessage(1501, LogLevel.Warning, "robots.txt of {Origin} is unavailable ({Reason}): nothing there is fetched for {Wait}, then it is asked for again.")]
    public static partial void RobotsUnavailable(ILogger logger, string origin, string reason, TimeSpan wait);

    [LoggerMessage(1502, LogLevel.Warning, "robots.txt of {Origin} asks for a Crawl-delay of {Requested}; honouring the maximum of {Honoured}.")]
    public static partial void RobotsCrawlDelayCapped(ILogger logger, string origin, TimeSpan requested, TimeSpan honoured);

    [LoggerMessage(1503, LogLevel.Information, "robots.txt of {Origin} sets a Crawl-delay of {CrawlDelay}.")]
    public static partial void RobotsCrawlDelay(ILogger logger, string origin, TimeSpan crawlDelay);

    [LoggerMessage(1504, LogLevel.Debug, "Skipped {Url} ({Kind}): {Reason}")]
    public static partial void Skipped(ILogger logger, string url, string kind, string reason);

    [LoggerMessage(1505, LogLevel.Information, "Domain {Domain} reached its limit of {Max} pages; further requests to it are skipped.")]
    public static partial void DomainLimitReached(ILogger logger, string domain, long max);

    [LoggerMessage(1506, LogLevel.Information, "{Domain} answered {Status} with Retry-After: no requests to it for {Wait}.")]
    public static partial void RetryAfterPause(ILogger logger, string domain, int status, TimeSpan wait);

    [LoggerMessage(1507, LogLevel.Warning, "{Domain} answered {Status} with a Retry-After of {Requested}; waiting the maximum of {Honoured} instead.")]
    public static partial void RetryAfterCapped(ILogger logger, string domain, int status, TimeSpan requested, TimeSpan honoured);

    [LoggerMessage(1508, LogLevel.Debug, "AutoThrottle: delay of {Domain} {Old} -> {New} (latency {Latency}, status {Status}).")]
    public static partial void AutoThrottleDelay(ILogger logger, string domain, TimeSpan old, TimeSpan @new, TimeSpan latency, int status);

    [LoggerMessage(1509, LogLevel.Warning, "The proxy setup changed since the job in {Directory} last ran ({Previous} -> {Current}); {Count} failed requests go back to pending, to be tried through it.")]
    public static partial void ProxySetupChanged(ILogger logger, string directory, string previous, string current, long count);

    [LoggerMessage(1510, LogLevel.Information, "Recrawl: {Count} pages of the job fetched more than {Age} ago go back to pending.")]
    public static partial void Recrawl(ILogger logger, long count, TimeSpan age);

    [LoggerMessage(1511, LogLevel.Debug, "Dropped {Count} discovered requests outside the allowed domains ({Domains}), for example {Url}.")]
    public static partial void Offsite(ILogger logger, int count, string domains, string url);

    [LoggerMessage(1512, LogLevel.Debug, "The domain gate holds {Domain} back for {Wait}.")]
    public static partial void DomainGateRefused(ILogger logger, string domain, TimeSpan wait);

    [LoggerMessage(1513, LogLevel.Error, "robots.txt of {Origin} could not be fetched; it counts as unavailable, and the requests waiting for it are retried.")]
    public static partial void RobotsFetchFailed(ILogger logger, Exception exception, string origin);
}
