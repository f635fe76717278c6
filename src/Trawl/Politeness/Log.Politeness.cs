using Microsoft.Extensions.Logging;
using Trawl.Logging;

namespace Trawl;

// Politeness and control's part of the library's one log-message class: event ids 1500-1599. URLs and origins passed
// here have gone through Logging.UrlRedaction.UrlForLog (origins carry no user info); proxies are logged without
// credentials, never with them.
internal static partial class Log
{
    public static void RobotsFetched(ILogger logger, string origin, string summary, TimeSpan crawlDelay)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            RobotsFetchedMessage(logger, origin, summary, crawlDelay > TimeSpan.Zero ? Wording.Duration(crawlDelay) : "none");
        }
    }

    [LoggerMessage(1500, LogLevel.Debug, "robots.txt of {Origin}: {Summary}; Crawl-delay {CrawlDelay}.")]
    private static partial void RobotsFetchedMessage(ILogger logger, string origin, string summary, string crawlDelay);

    public static void RobotsUnavailable(ILogger logger, string origin, string reason, TimeSpan wait)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            RobotsUnavailableMessage(logger, origin, reason, Wording.Duration(wait));
        }
    }

    [LoggerMessage(1501, LogLevel.Warning, "robots.txt of {Origin} is unavailable ({Reason}): nothing there is fetched for {Wait}, then it is asked for again.")]
    private static partial void RobotsUnavailableMessage(ILogger logger, string origin, string reason, string wait);

    public static void RobotsCrawlDelayCapped(ILogger logger, string origin, TimeSpan requested, TimeSpan honoured)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            RobotsCrawlDelayCappedMessage(logger, origin, Wording.Duration(requested), Wording.Duration(honoured));
        }
    }

    [LoggerMessage(1502, LogLevel.Warning, "robots.txt of {Origin} asks for a Crawl-delay of {Requested}; honouring the maximum of {Honoured}.")]
    private static partial void RobotsCrawlDelayCappedMessage(ILogger logger, string origin, string requested, string honoured);

    public static void RobotsCrawlDelay(ILogger logger, string origin, TimeSpan crawlDelay)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            RobotsCrawlDelayMessage(logger, origin, Wording.Duration(crawlDelay));
        }
    }

    [LoggerMessage(1503, LogLevel.Information, "robots.txt of {Origin} sets a Crawl-delay of {CrawlDelay}.")]
    private static partial void RobotsCrawlDelayMessage(ILogger logger, string origin, string crawlDelay);

    [LoggerMessage(1504, LogLevel.Debug, "Skipped {Url} ({Kind}): {Reason}")]
    public static partial void Skipped(ILogger logger, string url, string kind, string reason);

    public static void DomainLimitReached(ILogger logger, string domain, long max)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            DomainLimitReachedMessage(logger, domain, Wording.Count(max, "page"));
        }
    }

    [LoggerMessage(1505, LogLevel.Information, "Domain {Domain} reached its limit of {Max}; further requests to it are skipped.")]
    private static partial void DomainLimitReachedMessage(ILogger logger, string domain, string max);

    public static void RetryAfterPause(ILogger logger, string domain, int status, TimeSpan wait)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            RetryAfterPauseMessage(logger, domain, status, Wording.Duration(wait));
        }
    }

    [LoggerMessage(1506, LogLevel.Information, "{Domain} answered {Status} with Retry-After: no requests to it for {Wait}.")]
    private static partial void RetryAfterPauseMessage(ILogger logger, string domain, int status, string wait);

    public static void RetryAfterCapped(ILogger logger, string domain, int status, TimeSpan requested, TimeSpan honoured)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            RetryAfterCappedMessage(logger, domain, status, Wording.Duration(requested), Wording.Duration(honoured));
        }
    }

    [LoggerMessage(1507, LogLevel.Warning, "{Domain} answered {Status} with a Retry-After of {Requested}; waiting the maximum of {Honoured} instead.")]
    private static partial void RetryAfterCappedMessage(ILogger logger, string domain, int status, string requested, string honoured);

    public static void AutoThrottleDelay(ILogger logger, string domain, TimeSpan old, TimeSpan @new, TimeSpan latency, int status)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            AutoThrottleDelayMessage(logger, domain, Wording.Duration(old), Wording.Duration(@new), Wording.Duration(latency), status);
        }
    }

    [LoggerMessage(1508, LogLevel.Debug, "AutoThrottle: delay of {Domain} {Old} -> {New} (latency {Latency}, status {Status}).")]
    private static partial void AutoThrottleDelayMessage(ILogger logger, string domain, string old, string @new, string latency, int status);

    public static void ProxySetupChanged(ILogger logger, string directory, string previous, string current, long count)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            ProxySetupChangedMessage(logger, directory, previous, current, Wording.Count(count, "failed request"));
        }
    }

    [LoggerMessage(1509, LogLevel.Warning, "The proxy setup changed since the job in {Directory} last ran ({Previous} -> {Current}): {Count} back to pending, to be tried through it.")]
    private static partial void ProxySetupChangedMessage(ILogger logger, string directory, string previous, string current, string count);

    public static void Recrawl(ILogger logger, long count, TimeSpan age)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            RecrawlMessage(logger, Wording.Count(count, "page"), Wording.Duration(age));
        }
    }

    [LoggerMessage(1510, LogLevel.Information, "Recrawl: {Pages} of the job, fetched more than {Age} ago, back to pending.")]
    private static partial void RecrawlMessage(ILogger logger, string pages, string age);

    public static void Offsite(ILogger logger, int count, string domains, string url)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            OffsiteMessage(logger, Wording.Count(count, "discovered request"), domains, url);
        }
    }

    [LoggerMessage(1511, LogLevel.Debug, "Dropped {Requests} outside the allowed domains ({Domains}), for example {Url}.")]
    private static partial void OffsiteMessage(ILogger logger, string requests, string domains, string url);

    public static void DomainGateRefused(ILogger logger, string domain, TimeSpan wait)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            DomainGateRefusedMessage(logger, domain, Wording.Duration(wait));
        }
    }

    [LoggerMessage(1512, LogLevel.Debug, "The domain gate holds {Domain} back for {Wait}.")]
    private static partial void DomainGateRefusedMessage(ILogger logger, string domain, string wait);

    [LoggerMessage(1513, LogLevel.Error, "robots.txt of {Origin} could not be fetched; it counts as unavailable, and the requests waiting for it are retried.")]
    public static partial void RobotsFetchFailed(ILogger logger, Exception exception, string origin);
}
