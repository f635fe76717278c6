using Microsoft.Extensions.Logging;

namespace Trawl;

// Rendering's part of the library's one log-message class. Event ids 2100-2199 belong to rendering.
// Every URL passed here has gone through Logging.UrlRedaction.UrlForLog first.
internal static partial class Log
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Debug, Message = "Auto mode rendered {Url} (pattern {Pattern}): {Outcome}")]
    private static partial void AutoRenderedCore(ILogger logger, string url, string pattern, string outcome);

    public static void AutoRendered(ILogger logger, string url, string pattern, bool helped) =>
        AutoRenderedCore(logger, url, pattern, helped ? "rendering found more" : "rendering found nothing more");

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "The spider's NeedsRendering threw on {Url}; the page is kept as fetched")]
    public static partial void NeedsRenderingFailed(ILogger logger, string url, Exception exception);
}
