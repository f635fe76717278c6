using Microsoft.Extensions.Logging;

namespace Trawl;

// The downloader's part of the library's one log-message class. Event ids 2000-2099 belong to the downloader.
// Every URL passed here has gone through Logging.UrlRedaction.UrlForLog first.
internal static partial class Log
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Trace, Message = "Fetched {Method} {Url}: {Status}, body {Bytes} B, redirects: {Redirects}")]
    public static partial void Downloaded(ILogger logger, string method, string url, int status, int bytes, int redirects);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Download of {Method} {Url} failed ({Kind}): {Reason}")]
    public static partial void DownloadFailed(ILogger logger, string method, string url, string kind, string reason, Exception? exception);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Trace, Message = "Redirect {Status} from {From} to {To}")]
    public static partial void Redirected(ILogger logger, int status, string from, string to);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Ignored a cookie set by {Url}: {Reason}")]
    public static partial void CookieRejected(ILogger logger, string url, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "The redirect filter threw for {Url}; the redirect is blocked")]
    public static partial void RedirectFilterFailed(ILogger logger, string url, Exception exception);
}
