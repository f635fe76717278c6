using Microsoft.Extensions.Logging;

namespace Trawl.Browser;

/// <summary>
/// Every log message of Trawl.Browser, with stable event ids (5000-5099). URLs are logged through the core's redaction,
/// never raw.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(5000, LogLevel.Information, "Browser started: {Path} ({Version}), up to {Pages} pages at once.")]
    public static partial void BrowserStarted(ILogger logger, string path, string version, int pages);

    [LoggerMessage(5001, LogLevel.Warning, "The browser closed unexpectedly (it crashed or was killed); {InFlight} pages in flight fail as browser_crashed and are retried, in a browser started afresh.")]
    public static partial void BrowserLost(ILogger logger, int inFlight);

    [LoggerMessage(5002, LogLevel.Information, "Restarting the browser after {Pages} pages ({Reason}).")]
    public static partial void BrowserRecycled(ILogger logger, int pages, string reason);

    [LoggerMessage(5003, LogLevel.Warning, "The browser could not be started: {Reason}")]
    public static partial void BrowserLaunchFailed(ILogger logger, string reason);

    [LoggerMessage(5004, LogLevel.Debug, "Rendered {Url}: {Status}, {Bytes} bytes of DOM")]
    public static partial void Rendered(ILogger logger, string url, int status, int bytes);

    [LoggerMessage(5005, LogLevel.Debug, "Render of {Url} failed ({Kind}): {Reason}")]
    public static partial void RenderFailed(ILogger logger, string url, string kind, string reason);

    [LoggerMessage(5006, LogLevel.Debug, "A page of {Url} could not take back {Count} cookies into the crawl's jar")]
    public static partial void CookiesRejected(ILogger logger, string url, int count);

    [LoggerMessage(5007, LogLevel.Warning, "Browser processes were still running after the browser closed; {Count} were killed.")]
    public static partial void LeftoversKilled(ILogger logger, int count);
}
